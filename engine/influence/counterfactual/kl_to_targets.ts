/**
 * KL(target ‖ model) per position and its gradient with respect to the logits: the proximity term of
 * the proximal Bregman response function (PBRF), computed on the host from logits of either model.
 *
 * @module
 */

/** Summed KL divergence and its logit gradient. */
export interface KlToTargets {
  /** Σ_r weights[r] · KL(target_r ‖ softmax(logits_r)), in nats. */
  kl: number;
  /** d kl / d logits = weights[r] · (softmax(logits_r) − target_r), [rows, vocab]. */
  dLogits: Float64Array;
}

/**
 * log-softmax of every row, in float64.
 *
 * @param logits Logits [rows, vocab] row-major.
 * @param vocab Vocabulary size V.
 * @returns log p [rows, vocab].
 * @throws {RangeError} When the length is not a multiple of `vocab`.
 */
export function logSoftmaxRows(logits: ArrayLike<number>, vocab: number): Float64Array {
  if (!(vocab > 0) || logits.length % vocab !== 0) {
    throw new RangeError(`logSoftmaxRows(): ${logits.length} logits are not rows of ${vocab}`);
  }
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / vocab; r++) {
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[r * vocab + v]);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[r * vocab + v] - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < vocab; v++) out[r * vocab + v] = logits[r * vocab + v] - lse;
  }
  return out;
}

/**
 * Σ_r weights[r] · Σ_v p_r(v) (log p_r(v) − log q_r(v)) with p the targets (given as log-probabilities,
 * e.g. the final model's) and q = softmax(logits), and its gradient weights[r] · (q_r − p_r).
 *
 * @param logits The current model's logits, [rows, vocab].
 * @param targetLogProbs log p of the targets, [rows, vocab].
 * @param weights Per-row weight (0 leaves a row out), [rows].
 * @param vocab Vocabulary size V.
 * @returns The divergence and its logit gradient.
 * @throws {RangeError} When the shapes disagree.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { klToTargets, logSoftmaxRows } from "./kl_to_targets.ts";
 * const logits = [0.5, -1, 2];
 * const same = klToTargets(logits, logSoftmaxRows(logits, 3), [1], 3);
 * assert.equal(same.kl, 0);
 * assert.deepEqual([...same.dLogits], [0, 0, 0]);
 * ```
 */
export function klToTargets(
  logits: ArrayLike<number>,
  targetLogProbs: Float64Array,
  weights: ArrayLike<number>,
  vocab: number,
): KlToTargets {
  const rows = weights.length;
  if (logits.length !== rows * vocab || targetLogProbs.length !== rows * vocab) {
    throw new RangeError(
      `klToTargets(): expected ${rows} rows of ${vocab} logits and targets, got ${logits.length} and ${targetLogProbs.length}`,
    );
  }
  const logQ = logSoftmaxRows(logits, vocab);
  const dLogits = new Float64Array(rows * vocab);
  let kl = 0;
  for (let r = 0; r < rows; r++) {
    const w = weights[r];
    if (w === 0) continue;
    let sum = 0;
    for (let v = 0; v < vocab; v++) {
      const k = r * vocab + v, logP = targetLogProbs[k];
      const p = Math.exp(logP);
      if (p > 0) sum += p * (logP - logQ[k]);
      dLogits[k] = w * (Math.exp(logQ[k]) - p);
    }
    kl += w * sum;
  }
  return { kl, dLogits };
}
