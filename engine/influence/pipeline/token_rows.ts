/**
 * Token-id rows, the pipeline's input: documents as rows of ids, queries as a prompt row and a
 * completion row.
 *
 * @module
 */

/** One sequence of token ids. */
export type TokenRow = Int32Array | readonly number[];

/** Sequences of token ids, one per row (documents, fit documents). */
export type TokenRows = readonly TokenRow[];

/**
 * A query: the prompt's ids (BOS first, when the model uses one) and the completion's ids (EOS last,
 * when it uses one). The measurement f = log p(completion | prompt) sums the completion tokens' log-probs;
 * the prompt positions carry no loss term.
 */
export interface QueryRow {
  /** Prompt ids (masked: no loss term), at least one. */
  prompt: TokenRow;
  /** Completion ids (the measured tokens), at least one. */
  completion: TokenRow;
}

/**
 * Checks token rows against a vocabulary and returns them as `Int32Array`s (views of `Int32Array`
 * inputs, copies of number arrays).
 *
 * @param what Caller and argument, for errors (e.g. `"InfluencePipeline.fitFactors(): documents"`).
 * @param rows The rows.
 * @param vocabSize V: every id must be an integer in [0, V).
 * @returns The rows as `Int32Array`s.
 * @throws {RangeError} Naming the row, position, expected range and the id found.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { int32Rows } from "./token_rows.ts";
 * assert.deepEqual(int32Rows("demo", [[1, 2], new Int32Array([3])], 4), [new Int32Array([1, 2]), new Int32Array([3])]);
 * assert.throws(() => int32Rows("demo", [[1, 9]], 4), /demo: row 0, position 1: expected a token id in \[0, 4\), found 9/);
 * ```
 */
export function int32Rows(what: string, rows: TokenRows, vocabSize: number): Int32Array[] {
  return rows.map((row, r) => {
    const ids = row instanceof Int32Array ? row : Int32Array.from(row);
    for (let t = 0; t < ids.length; t++) {
      if (ids[t] < 0 || ids[t] >= vocabSize || ids[t] !== row[t]) {
        throw new RangeError(
          `${what}: row ${r}, position ${t}: expected a token id in [0, ${vocabSize}), found ${row[t]}`,
        );
      }
    }
    return ids;
  });
}

/**
 * The rows of a tokenized corpus stored end to end: document i is `tokens[offsets[i] … offsets[i+1])`.
 *
 * @param corpus Tokens and offsets ([documents + 1]).
 * @returns One view per document (no copy).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { corpusRows } from "./token_rows.ts";
 * const rows = corpusRows({ tokens: new Int32Array([5, 6, 7]), offsets: new Int32Array([0, 2, 3]) });
 * assert.deepEqual(rows, [new Int32Array([5, 6]), new Int32Array([7])]);
 * ```
 */
export function corpusRows(corpus: { tokens: Int32Array; offsets: Int32Array }): Int32Array[] {
  return Array.from(
    { length: corpus.offsets.length - 1 },
    (_, i) => corpus.tokens.subarray(corpus.offsets[i], corpus.offsets[i + 1]),
  );
}
