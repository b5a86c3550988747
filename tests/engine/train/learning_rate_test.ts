import assert from "node:assert/strict";
import { learningRate } from "../../../engine/train/learning_rate.ts";

const S = { steps: 1000, learningRate: 3e-3, minLearningRateRatio: 0.1, warmupSteps: 100 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-15, `${a} != ${b}`);

Deno.test("learningRate() warms up linearly from the first step to the peak at step warmupSteps − 1", () => {
  close(learningRate(0, S), 3e-5);
  close(learningRate(49, S), 1.5e-3);
  close(learningRate(99, S), 3e-3);
  for (let s = 1; s < 100; s++) assert.ok(learningRate(s, S) > learningRate(s - 1, S));
});

Deno.test("learningRate() decays by a cosine from the peak at warmupSteps to the floor at steps", () => {
  close(learningRate(100, S), 3e-3);
  close(learningRate(550, S), (3e-3 + 3e-4) / 2);
  assert.ok(learningRate(999, S) > 3e-4 && learningRate(999, S) < 3e-4 + 1e-8);
  close(learningRate(1000, S), 3e-4);
  close(learningRate(5000, S), 3e-4);
  for (let s = 101; s < 1000; s++) assert.ok(learningRate(s, S) < learningRate(s - 1, S));
});

Deno.test("learningRate() handles no warm-up, a zero floor and warm-up covering every step", () => {
  close(learningRate(0, { ...S, warmupSteps: 0 }), 3e-3);
  close(learningRate(1000, { ...S, minLearningRateRatio: 0 }), 0);
  close(learningRate(9, { ...S, steps: 10, warmupSteps: 10 }), 3e-3);
  close(learningRate(10, { ...S, steps: 10, warmupSteps: 10 }), 3e-4);
  assert.throws(() => learningRate(-1, S), /non-negative integer, got -1/);
  assert.throws(() => learningRate(1.5, S), /non-negative integer/);
});
