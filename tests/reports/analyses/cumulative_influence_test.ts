import assert from "node:assert/strict";
import { cumulativeInfluence } from "../../../reports/analyses/cumulative_influence.ts";

Deno.test("cumulativeInfluence() sums the top ceil(p% of positive documents)", () => {
  // Positive scores 4, 3, 2, 1 (n = 4, total 10); zero and negative scores are not positive documents.
  const c = cumulativeInfluence(new Float32Array([1, -5, 4, 0, 3, 2]), [0, 10, 25, 50, 75, 100]);
  assert.equal(c.totalPositive, 10);
  assert.equal(c.positiveDocuments, 4);
  // ceil(p·4/100): 0, 1, 1, 2, 3, 4 documents.
  assert.deepEqual(c.absolute, [0, 4, 4, 7, 9, 10]);
  assert.deepEqual(c.share, [0, 0.4, 0.4, 0.7, 0.9, 1]);
});

Deno.test("cumulativeInfluence() takes exactly p documents of 100 despite float rounding", () => {
  // 7 / 100 × 100 = 7.000000000000001 in float64; the top 7 of 1..100 sum to 100 + 99 + … + 94 = 679.
  const row = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  const c = cumulativeInfluence(row, [7, 0.5]);
  assert.deepEqual(c.absolute, [679, 100]);
  assert.equal(c.share[0], 679 / 5050);
  // 1.1 × 3000 / 100 = 33.00000000000001 in float64: still 33 documents, 2968 + … + 3000 = 33 · 2984.
  const big = cumulativeInfluence(Float64Array.from({ length: 3000 }, (_, i) => i + 1), [1.1]);
  assert.deepEqual(big.absolute, [33 * 2984]);
});

Deno.test("cumulativeInfluence() gives NaN shares when no document is positive", () => {
  const c = cumulativeInfluence(new Float32Array([0, -1]), [50, 100]);
  assert.equal(c.totalPositive, 0);
  assert.deepEqual(c.absolute, [0, 0]);
  assert.ok(c.share.every(Number.isNaN));
});

Deno.test("cumulativeInfluence() rejects percents outside [0, 100]", () => {
  assert.throws(() => cumulativeInfluence([1], [101]), RangeError);
  assert.throws(() => cumulativeInfluence([1], [NaN]), RangeError);
});
