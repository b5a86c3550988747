/**
 * What a proxy recalls of the facts it was asked, measured teacher-forced: the log-probability of each
 * factual query's reference answer, and of the fact's value inside it, given the prompt. Greedy accuracy
 * needs the model to open its answer the way the reference does; these measures do not, so they show a
 * fact being learned (and the rise with mention count) before greedy decoding finds it.
 *
 * @module
 */
import { uploadSequences } from "../../engine/influence/pipeline/device_batch.ts";
import type { GpuLlama } from "../../engine/llama/mod.ts";
import type { TextTokenizer } from "../../fixtures/tokenizer/mod.ts";
import type { Fact, Query } from "../../fixtures/world/mod.ts";

/** Mean teacher-forced log-probabilities (nats) of the factual queries asking facts of one mention count. */
export interface FactRecall {
  /** Factual queries averaged. */
  queries: number;
  /** Mean log p(value | prompt, the reference answer up to the value): is the fact itself known? */
  value: number;
  /** Mean log p(reference completion | prompt): the answer sentence and the value. */
  answer: number;
}

/** {@linkcode FactRecall} per mention count (keys are the counts, ascending). */
export type FactRecallByMentions = Record<string, FactRecall>;

/** A factual query as token positions: the prompt, then the completion, whose value is at `value`. */
export interface RecallRow {
  /** Prompt then completion ids (BOS first when the tokenizer has one). */
  ids: Int32Array;
  /** Ids of the prompt. */
  promptLength: number;
  /** Ids `[start, end)` of the fact's value inside `ids`. */
  value: readonly [number, number];
}

/**
 * Tokenizes a factual query for recall: its prompt and reference completion, with the ids of the gold
 * value (its last occurrence in the completion). The value's ids are those that the text up to the value
 * leaves to encode, so a tokenizer that merges across the boundary is still measured on whole tokens.
 *
 * @param tokenizer The proxies' tokenizer.
 * @param query A factual query (with `completion` and `gold`).
 * @returns The row.
 * @throws {Error} When the completion does not contain the gold value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";
 * import { recallRow } from "./fact_recall.ts";
 * const tok = defaultTokenizer();
 * const row = recallRow(tok, { id: "q", prompt: "Capital?", completion: "\nIt is Zed.", gold: "Zed" } as never);
 * assert.equal(tok.decode(row.ids.subarray(row.value[0], row.value[1])), "Zed");
 * assert.equal(tok.decode(row.ids.subarray(0, row.promptLength)), "Capital?");
 * ```
 */
export function recallRow(tokenizer: TextTokenizer, query: Query): RecallRow {
  const at = query.completion.lastIndexOf(query.gold);
  if (at < 0) {
    throw new Error(`Query ${query.id}: its completion does not contain its answer "${query.gold}"`);
  }
  const full = query.prompt + query.completion;
  const end = query.prompt.length + at + query.gold.length;
  const before = tokenizer.encode(full.slice(0, end - query.gold.length), { bos: true });
  const upTo = tokenizer.encode(full.slice(0, end), { bos: true });
  const ids = tokenizer.encode(full, { bos: true });
  const promptLength = tokenizer.encode(query.prompt, { bos: true }).length;
  return { ids, promptLength, value: [before.length, upTo.length] };
}

/**
 * Teacher-forced recall of a setup's factual queries by the asked fact's mention count, in one forward
 * pass over all of them.
 *
 * @param model The model.
 * @param tokenizer The proxies' tokenizer.
 * @param queries The setup's queries (only the factual ones with a known fact are measured).
 * @param facts The world's facts (for mention counts).
 * @returns Recall per mention count; empty without factual queries.
 */
export async function factRecallByMentions(
  model: GpuLlama,
  tokenizer: TextTokenizer,
  queries: readonly Query[],
  facts: readonly Fact[],
): Promise<FactRecallByMentions> {
  const mentions = new Map(facts.map((f) => [f.id, f.mentions]));
  const asked = queries.filter((q) =>
    q.set === "factual" && q.factId !== undefined && mentions.has(q.factId)
  );
  if (asked.length === 0) return {};
  const rows = asked.map((q) => recallRow(tokenizer, q));
  const upload = uploadSequences(
    model.gpu,
    rows.map((r) => r.ids),
    (i) =>
      Int32Array.from(
        rows[i].ids,
        (_, t) => (t + 1 >= rows[i].promptLength && t + 1 < rows[i].ids.length ? rows[i].ids[t + 1] : -1),
      ),
  );
  try {
    const logProbs = await model.evaluate(upload.batch).logProbs.read() as Float32Array;
    return tallyRecall(
      asked.map((q) => mentions.get(q.factId!)!),
      rows,
      rows.map((_, i) =>
        logProbs.subarray(upload.sequences[i].start, upload.sequences[i].start + rows[i].ids.length)
      ),
    );
  } finally {
    upload.destroy();
  }
}

/**
 * Means of the value's and the completion's log-probabilities per mention count.
 *
 * @param counts Each row's mention count.
 * @param rows The rows.
 * @param labelLogProbs Per row, the log-probability of the next token at each position (position t
 * predicts id t + 1).
 * @returns Recall per mention count, keys ascending.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tallyRecall } from "./fact_recall.ts";
 * const row = { ids: new Int32Array(4), promptLength: 2, value: [3, 4] as const };
 * const got = tallyRecall([8, 8], [row, row], [new Float32Array([0, -1, -2, 0]), new Float32Array([0, -3, -4, 0])]);
 * assert.deepEqual(got, { 8: { queries: 2, value: -3, answer: -5 } });
 * ```
 */
export function tallyRecall(
  counts: readonly number[],
  rows: readonly RecallRow[],
  labelLogProbs: readonly ArrayLike<number>[],
): FactRecallByMentions {
  const sums = new Map<number, { queries: number; value: number; answer: number }>();
  rows.forEach((row, i) => {
    const lp = labelLogProbs[i];
    let value = 0, answer = 0;
    for (let t = row.promptLength; t < row.ids.length; t++) {
      answer += lp[t - 1];
      if (t >= row.value[0] && t < row.value[1]) value += lp[t - 1];
    }
    const s = sums.get(counts[i]) ?? { queries: 0, value: 0, answer: 0 };
    sums.set(counts[i], { queries: s.queries + 1, value: s.value + value, answer: s.answer + answer });
  });
  return Object.fromEntries(
    [...sums].sort(([a], [b]) => a - b).map((
      [k, s],
    ) => [String(k), { queries: s.queries, value: s.value / s.queries, answer: s.answer / s.queries }]),
  );
}
