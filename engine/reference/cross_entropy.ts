/**
 * Weighted next-token cross-entropy, summed over positions (not averaged).
 *
 * Row r of the logits predicts `labels[r]`; a negative label means "no target" (the row adds
 * nothing). The loss is L = Σ_r weights[r] · (−log softmax(logits[r])[labels[r]]), so weights
 * double as masks: 1 on completion tokens and 0 on prompt tokens gives −log p(completion | prompt).
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

/** Result of {@linkcode crossEntropyForward}. */
export interface CrossEntropyResult {
  /** L = Σ_r weights[r] · (−logProbs[r]), in nats. */
  loss: number;
  /** log p(labels[r]) per row, unweighted; 0 where the label is negative. [rows]. */
  logProbs: Float64Array;
  /** softmax(logits) per row, [rows, vocab] row-major. */
  probs: Float64Array;
}

function checkTargets(
  op: string,
  labels: Int32Array,
  weights: Float64Array,
  rows: number,
  vocab: number,
): void {
  assertLength(op, "labels", labels, { rows });
  assertLength(op, "weights", weights, { rows });
  for (let r = 0; r < rows; r++) {
    if (labels[r] >= vocab) {
      throw new RangeError(`${op}: label ${labels[r]} at row ${r} is outside the vocabulary [0, ${vocab})`);
    }
    if (!Number.isFinite(weights[r])) throw new RangeError(`${op}: weight at row ${r} is ${weights[r]}`);
  }
}

/**
 * Softmax, label log-probabilities and the weighted summed loss.
 *
 * @param logits Scores, [rows, vocab] row-major.
 * @param labels Target ids, [rows]; negative for none.
 * @param weights Per-row weight, [rows].
 * @param rows Number of rows (positions B·T).
 * @param vocab Vocabulary size V.
 * @returns The loss, per-row log-probabilities and probabilities.
 * @throws {RangeError} When shapes disagree, a label is ≥ vocab, or a weight is not finite.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossEntropyForward } from "./cross_entropy.ts";
 * const logits = new Float64Array([0, 0, 5, 5]); // two rows, vocab 2: uniform
 * const { loss } = crossEntropyForward(logits, new Int32Array([1, -1]), new Float64Array([2, 1]), 2, 2);
 * assert.deepEqual(loss, 2 * Math.LN2);
 * ```
 */
export function crossEntropyForward(
  logits: Float64Array,
  labels: Int32Array,
  weights: Float64Array,
  rows: number,
  vocab: number,
): CrossEntropyResult {
  assertLength("crossEntropyForward()", "logits", logits, { rows, vocab });
  checkTargets("crossEntropyForward()", labels, weights, rows, vocab);
  const probs = new Float64Array(rows * vocab);
  const logProbs = new Float64Array(rows);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    let max = -Infinity;
    for (const value of row) max = Math.max(max, value);
    let total = 0;
    for (let v = 0; v < vocab; v++) total += probs[r * vocab + v] = Math.exp(row[v] - max);
    for (let v = 0; v < vocab; v++) probs[r * vocab + v] /= total;
    if (labels[r] < 0) continue;
    logProbs[r] = row[labels[r]] - max - Math.log(total);
    loss -= weights[r] * logProbs[r];
  }
  return { loss, logProbs, probs };
}

/**
 * Gradient of the loss with respect to the logits: dLogits[r] = weights[r] · (probs[r] − onehot(labels[r])),
 * zero for rows without a label.
 *
 * @param probs From {@linkcode crossEntropyForward}, [rows, vocab].
 * @param labels Target ids, [rows]; negative for none.
 * @param weights Per-row weight, [rows].
 * @param rows Number of rows.
 * @param vocab Vocabulary size V.
 * @returns dLogits, [rows, vocab].
 * @throws {RangeError} When shapes disagree, a label is ≥ vocab, or a weight is not finite.
 */
export function crossEntropyBackward(
  probs: Float64Array,
  labels: Int32Array,
  weights: Float64Array,
  rows: number,
  vocab: number,
): Float64Array {
  assertLength("crossEntropyBackward()", "probs", probs, { rows, vocab });
  checkTargets("crossEntropyBackward()", labels, weights, rows, vocab);
  const dLogits = new Float64Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    if (labels[r] < 0 || weights[r] === 0) continue;
    for (let v = 0; v < vocab; v++) dLogits[r * vocab + v] = weights[r] * probs[r * vocab + v];
    dLogits[r * vocab + labels[r]] -= weights[r];
  }
  return dLogits;
}

/**
 * Next-token labels: labels[b, t] = ids[b, t + 1], and −1 (no target) at the last position.
 *
 * @param ids Token ids, [batch, seqLen] row-major.
 * @param batch Sequences B.
 * @param seqLen Tokens per sequence T.
 * @returns Labels, [batch, seqLen].
 * @throws {RangeError} When `ids` has the wrong length.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextTokenLabels } from "./cross_entropy.ts";
 * assert.deepEqual(nextTokenLabels(new Int32Array([5, 6, 7]), 1, 3), new Int32Array([6, 7, -1]));
 * ```
 */
export function nextTokenLabels(ids: Int32Array, batch: number, seqLen: number): Int32Array {
  assertLength("nextTokenLabels()", "ids", ids, { batch, seqLen });
  const labels = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) labels[b * seqLen + t] = t + 1 < seqLen ? ids[b * seqLen + t + 1] : -1;
  }
  return labels;
}
