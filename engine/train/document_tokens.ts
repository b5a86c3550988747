/**
 * The tokenised pretraining corpus the trainer reads (the tokenize stage's `documents`).
 *
 * @module
 */

/** Documents packed end to end: document i is `tokens.subarray(offsets[i], offsets[i + 1])`. */
export interface DocumentTokens {
  /** Token ids of all documents, each BOS … EOS. */
  tokens: Int32Array;
  /** `documents + 1` ascending offsets into `tokens`, from 0 to `tokens.length`. */
  offsets: Int32Array;
}

/**
 * Checks the packing of a corpus and, optionally, that every document fits the model's context.
 *
 * @param corpus The documents.
 * @param maxSeqLen Longest sequence the model accepts, if any.
 * @returns The number of documents.
 * @throws {RangeError} When there is no document, the offsets are not ascending from 0 to
 * `tokens.length`, a document is empty, or one is longer than `maxSeqLen`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDocumentTokens } from "./document_tokens.ts";
 * const corpus = { tokens: new Int32Array([1, 5, 2, 1, 2]), offsets: new Int32Array([0, 3, 5]) };
 * assert.equal(checkDocumentTokens(corpus, 3), 2);
 * assert.throws(() => checkDocumentTokens(corpus, 2), /document 0 has 3 tokens/);
 * ```
 */
export function checkDocumentTokens(corpus: DocumentTokens, maxSeqLen?: number): number {
  const { tokens, offsets } = corpus;
  const count = offsets.length - 1;
  if (count < 1) throw new RangeError("Cannot train: the corpus has no documents");
  if (offsets[0] !== 0 || offsets[count] !== tokens.length) {
    throw new RangeError(
      `Cannot train: document offsets must run from 0 to ${tokens.length}, got ${offsets[0]} to ${
        offsets[count]
      }`,
    );
  }
  for (let i = 0; i < count; i++) {
    const length = offsets[i + 1] - offsets[i];
    if (length < 1) throw new RangeError(`Cannot train: document ${i} is empty or its offsets descend`);
    if (maxSeqLen !== undefined && length > maxSeqLen) {
      throw new RangeError(
        `Cannot train: document ${i} has ${length} tokens, more than the model's context of ${maxSeqLen}`,
      );
    }
  }
  return count;
}
