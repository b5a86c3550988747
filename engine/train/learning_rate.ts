/**
 * The learning-rate schedule: linear warm-up, then cosine decay to a floor.
 *
 * @module
 */
import type { TrainSettings } from "./train_settings.ts";

/**
 * Learning rate of optimiser step `step` (0-based: the first step is 0). With peak `lr`, floor
 * `lr·minLearningRateRatio` and `W = warmupSteps`:
 * - `step < W`: `lr·(step + 1)/W` (the first step is not wasted at 0; step `W − 1` reaches `lr`);
 * - otherwise: `floor + (lr − floor)·½(1 + cos(π·p))` with `p = min(1, (step − W)/(steps − W))`,
 *   so step `W` is at `lr` and from step `steps` on the rate stays at the floor.
 *
 * @param step Optimiser step, a non-negative integer.
 * @param s Peak rate, floor ratio, warm-up length and total steps.
 * @returns The learning rate.
 * @throws {RangeError} When `step` is not a non-negative integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRate } from "./learning_rate.ts";
 * const s = { steps: 110, learningRate: 1, minLearningRateRatio: 0.1, warmupSteps: 10 };
 * assert.equal(learningRate(4, s), 0.5);
 * assert.equal(learningRate(10, s), 1);
 * assert.equal(learningRate(60, s), 0.55);
 * assert.equal(learningRate(110, s), 0.1);
 * ```
 */
export function learningRate(
  step: number,
  s: Pick<TrainSettings, "steps" | "learningRate" | "minLearningRateRatio" | "warmupSteps">,
): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(
      `Cannot compute the learning rate: step must be a non-negative integer, got ${step}`,
    );
  }
  const peak = s.learningRate, warmup = s.warmupSteps;
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const floor = peak * s.minLearningRateRatio;
  const progress = s.steps > warmup ? Math.min(1, (step - warmup) / (s.steps - warmup)) : 1;
  return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
