/**
 * The summary a training run returns (and a stage stores next to the trained model).
 *
 * @module
 */
import type { Evaluation } from "./train_hook.ts";

/** One point of a subsampled loss curve. */
export interface LossPoint {
  /** Optimiser steps done at the end of the bucket. */
  step: number;
  /** Mean loss (nats per token) of the bucket's steps. */
  loss: number;
}

/** What a training run did. */
export interface TrainingRecord {
  /** Optimiser steps done (equal to the settings' `steps` when finished). */
  steps: number;
  /** Steps already done in the state it resumed from (0 for a fresh start). */
  resumedFromStep: number;
  /** Real (non-padding) tokens of all batches, resumed steps included. */
  tokensSeen: number;
  /** Loss of the last step (mean nats per labelled token of its batch). */
  finalLoss: number;
  /** Mean loss of the last `max(1, ⌈steps/20⌉)` steps. */
  smoothedFinalLoss: number;
  /** Wall-clock seconds of this call (resumed steps are not timed). */
  wallSeconds: number;
  /** Tokens per second of this call's steps. */
  tokensPerSecond: number;
  /** Loss curve: bucket means over at most the requested number of buckets. */
  lossCurve: LossPoint[];
  /** Hook results, resumed ones included. */
  evaluations: Evaluation[];
  /** SHA-256 of the settings (see `trainFingerprint`). */
  settingsHash: string;
}

/**
 * Averages a per-step series into at most `points` consecutive buckets of equal size (the last may
 * be shorter).
 *
 * @param values One value per step (step i + 1 done after values[i]).
 * @param points Largest number of buckets (positive).
 * @returns Bucket means with the step count at each bucket's end.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { subsampleCurve } from "./training_record.ts";
 * assert.deepEqual(subsampleCurve(new Float32Array([4, 2, 3, 1, 5]), 2), [
 *   { step: 3, loss: 3 },
 *   { step: 5, loss: 3 },
 * ]);
 * ```
 */
export function subsampleCurve(values: Float32Array, points: number): LossPoint[] {
  const size = Math.max(1, Math.ceil(values.length / Math.max(1, points)));
  const out: LossPoint[] = [];
  for (let start = 0; start < values.length; start += size) {
    const end = Math.min(values.length, start + size);
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i];
    out.push({ step: end, loss: sum / (end - start) });
  }
  return out;
}
