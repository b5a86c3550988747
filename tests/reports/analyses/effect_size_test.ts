import assert from "node:assert/strict";
import { bootstrapDifference, cohensD } from "../../../reports/analyses/effect_size.ts";

const options = { resamples: 2000, confidence: 0.95, seed: 3 };

Deno.test("cohensD() divides by the pooled sd (two groups) or the sample sd (against a value)", () => {
  assert.equal(cohensD([1, 2, 3], [0, 1, 2]), 1);
  // Pooled variance (2 + 8) / (3 + 3 − 2) = 2.5.
  assert.equal(cohensD([1, 2, 3], [0, 2, 4]), 0);
  assert.ok(Math.abs(cohensD([3, 4, 5], [0, 2, 4]) - 2 / Math.sqrt(2.5)) < 1e-12);
  assert.equal(cohensD([2, 3, 4], 1), 2);
  assert.equal(cohensD([1, 1], [0, 0]), Infinity);
  assert.equal(cohensD([0, 0], [1, 1]), -Infinity);
  assert.ok(Number.isNaN(cohensD([1, 1], [1, 1])));
  assert.ok(Number.isNaN(cohensD([1], [1, 2])));
});

Deno.test("bootstrapDifference() brackets the difference of means, over queries", () => {
  const a = [3, 4, 5, 4, 6, 5], b = [1, 2, 3, 2, 1, 2];
  const d = bootstrapDifference(a, b, options);
  assert.equal(d.mean, 27 / 6 - 11 / 6);
  assert.ok(d.low < d.mean && d.high > d.mean && d.low > 1.5 && d.high < 3.8, JSON.stringify(d));
  assert.deepEqual(bootstrapDifference(a, b, options), d, "deterministic for a seed");
  const against = bootstrapDifference(a, 1, options);
  assert.equal(against.mean, 27 / 6 - 1);
  // Only A is resampled: the interval lies within [min(a) − 1, max(a) − 1].
  assert.ok(against.low >= 2 && against.high <= 5);
  const constant = bootstrapDifference([2, 2, 2], [1, 1], options);
  assert.deepEqual(constant, { mean: 1, low: 1, high: 1 });
  const none = bootstrapDifference(a, b, { ...options, resamples: 0 });
  assert.ok(Number.isNaN(none.low) && Number.isNaN(none.high));
  assert.throws(() => bootstrapDifference([1, Infinity], b, options), RangeError);
});
