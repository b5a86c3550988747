/**
 * The numerical settings of a training run (the manifest's `training` block with its seed resolved).
 *
 * @module
 */

/** AdamW training settings; field meanings as in the manifest schema's `training` block. */
export interface TrainSettings {
  /** Optimiser steps. */
  steps: number;
  /** Documents (sequences) per step. */
  batchSize: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Cosine decay floor, as a fraction of the peak learning rate, in [0, 1]. */
  minLearningRateRatio: number;
  /** Linear warm-up steps. */
  warmupSteps: number;
  /** Decoupled AdamW weight decay (applied only to tensors the decay rule selects). */
  weightDecay: number;
  /** AdamW first-moment decay, in [0, 1). */
  beta1: number;
  /** AdamW second-moment decay, in [0, 1). */
  beta2: number;
  /** Largest global gradient norm; larger gradients are scaled down to it. */
  gradClip: number;
  /** Steps between resumable training checkpoints. */
  checkpointEvery: number;
  /** Seed of the data order (resolved: never null here). */
  seed: number;
  /**
   * Batches per length-bucketing window (absent or 1: plain shuffled batches); see
   * `bucketedPermutation` in `data_order.ts`.
   */
  lengthBuckets?: number;
}

/** AdamW's ε, added to the bias-corrected √v (PyTorch's default). */
export const ADAMW_EPS = 1e-8;

/**
 * Checks every field of the settings.
 *
 * @param s The settings.
 * @throws {RangeError} Naming the first field out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateTrainSettings } from "./train_settings.ts";
 * const s = { steps: 10, batchSize: 2, learningRate: 1e-3, minLearningRateRatio: 0.1, warmupSteps: 2,
 *   weightDecay: 0.01, beta1: 0.9, beta2: 0.95, gradClip: 1, checkpointEvery: 5, seed: 1 };
 * validateTrainSettings(s);
 * assert.throws(() => validateTrainSettings({ ...s, beta2: 1 }), /beta2/);
 * ```
 */
export function validateTrainSettings(s: TrainSettings): void {
  const checks: [keyof TrainSettings, (v: number) => boolean, string][] = [
    ["steps", (v) => Number.isInteger(v) && v > 0, "a positive integer"],
    ["batchSize", (v) => Number.isInteger(v) && v > 0, "a positive integer"],
    ["learningRate", (v) => v > 0 && Number.isFinite(v), "a positive number"],
    ["minLearningRateRatio", (v) => v >= 0 && v <= 1, "in [0, 1]"],
    ["warmupSteps", (v) => Number.isInteger(v) && v >= 0, "a non-negative integer"],
    ["weightDecay", (v) => v >= 0 && Number.isFinite(v), "a non-negative number"],
    ["beta1", (v) => v >= 0 && v < 1, "in [0, 1)"],
    ["beta2", (v) => v >= 0 && v < 1, "in [0, 1)"],
    ["gradClip", (v) => v > 0 && Number.isFinite(v), "a positive number"],
    ["checkpointEvery", (v) => Number.isInteger(v) && v > 0, "a positive integer"],
    ["seed", (v) => Number.isSafeInteger(v) && v >= 0, "a non-negative integer"],
    ["lengthBuckets", (v) => Number.isInteger(v) && v > 0, "a positive integer"],
  ];
  for (const [key, ok, what] of checks) {
    const value = s[key];
    if (key === "lengthBuckets" && value === undefined) continue;
    if (typeof value !== "number" || !ok(value)) {
      throw new RangeError(`Cannot train: training.${key} must be ${what}, got ${value}`);
    }
  }
}
