/**
 * Next-token batches of whole documents, padded to a common length.
 *
 * @module
 */
import type { DocumentTokens } from "./document_tokens.ts";

/** Id written at padded positions. */
export const PAD_ID = 0;

/** A batch in host memory, laid out as `TrainBatch` expects (row-major `[batch, seqLen]`). */
export interface HostBatch {
  /** Token ids; `PAD_ID` after each document's end. */
  ids: Int32Array;
  /** Next token at each position; −1 at each document's last position and at padding. */
  labels: Int32Array;
  /** `1 / labelled` at labelled positions, 0 elsewhere, so `Σ weights·CE` is the per-token mean. */
  weights: Float32Array;
  /** Number of sequences. */
  batch: number;
  /** Padded sequence length. */
  seqLen: number;
  /** Real (non-padding) tokens in the batch. */
  tokens: number;
  /** Positions with a label. */
  labelled: number;
}

/**
 * Builds the batch of the given documents: each row is one document from position 0, padded to the
 * longest (rounded up to a multiple of `seqLenMultiple`).
 *
 * @param corpus The documents.
 * @param docs Indices of the documents in the batch, in row order.
 * @param seqLenMultiple Round the padded length up to a multiple of this (default 1).
 * @returns The batch.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeBatch } from "./make_batch.ts";
 * const corpus = { tokens: new Int32Array([1, 7, 2, 1, 2]), offsets: new Int32Array([0, 3, 5]) };
 * const b = makeBatch(corpus, [1, 0]);
 * assert.deepEqual([...b.ids], [1, 2, 0, 1, 7, 2]);
 * assert.deepEqual([...b.labels], [2, -1, -1, 7, 2, -1]);
 * assert.deepEqual([...b.weights], [1 / 3, 0, 0, 1 / 3, 1 / 3, 0].map(Math.fround));
 * ```
 */
export function makeBatch(corpus: DocumentTokens, docs: readonly number[], seqLenMultiple = 1): HostBatch {
  const { tokens, offsets } = corpus;
  const longest = Math.max(...docs.map((d) => offsets[d + 1] - offsets[d]));
  const seqLen = Math.ceil(longest / seqLenMultiple) * seqLenMultiple;
  const size = docs.length * seqLen;
  const ids = new Int32Array(size).fill(PAD_ID);
  const labels = new Int32Array(size).fill(-1);
  let real = 0;
  docs.forEach((d, row) => {
    const doc = tokens.subarray(offsets[d], offsets[d + 1]);
    ids.set(doc, row * seqLen);
    labels.set(doc.subarray(1), row * seqLen);
    real += doc.length;
  });
  const labelled = real - docs.length;
  const weights = new Float32Array(size);
  if (labelled > 0) { for (let i = 0; i < size; i++) if (labels[i] >= 0) weights[i] = 1 / labelled; }
  return { ids, labels, weights, batch: docs.length, seqLen, tokens: real, labelled };
}
