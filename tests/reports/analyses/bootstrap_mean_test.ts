import assert from "node:assert/strict";
import { bootstrapMean } from "../../../reports/analyses/bootstrap_mean.ts";

Deno.test("bootstrapMean() is deterministic for a seed and brackets the mean", () => {
  const values = Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3 + 1);
  const a = bootstrapMean(values, { resamples: 2000, confidence: 0.95, seed: 11 });
  const b = bootstrapMean(values, { resamples: 2000, confidence: 0.95, seed: 11 });
  assert.deepEqual(a, b);
  assert.ok(a.low < a.mean && a.mean < a.high);
  assert.equal(a.n, 40);
});

Deno.test("bootstrapMean() interval width matches the normal approximation for many values", () => {
  // 400 values 0..399 (sd ≈ 115.6): the 95% interval of the mean is ≈ ±1.96 · sd / √n ≈ ±11.3.
  const values = Array.from({ length: 400 }, (_, i) => i);
  const m = bootstrapMean(values, { resamples: 4000, confidence: 0.95, seed: 3 });
  assert.equal(m.mean, 199.5);
  const half = (m.high - m.low) / 2;
  assert.ok(Math.abs(half - 11.3) < 1.2, `half-width ${half}`);
});

Deno.test("bootstrapMean() gives no interval for one value or no resamples, and rejects NaN", () => {
  assert.ok(Number.isNaN(bootstrapMean([5], { resamples: 100, confidence: 0.9, seed: 1 }).low));
  assert.equal(bootstrapMean([5], { resamples: 100, confidence: 0.9, seed: 1 }).mean, 5);
  assert.ok(Number.isNaN(bootstrapMean([1, 2], { resamples: 0, confidence: 0.9, seed: 1 }).high));
  assert.throws(() => bootstrapMean([1, NaN], { resamples: 10, confidence: 0.9, seed: 1 }), /value 1 is NaN/);
  assert.throws(() => bootstrapMean([1, 2], { resamples: 10, confidence: 1, seed: 1 }), /confidence/);
});
