import assert from "node:assert/strict";
import { topScoreMultiplier } from "../../../reports/analyses/top_score_multiplier.ts";

Deno.test("topScoreMultiplier() compares each row's top scores rank by rank", () => {
  // Sorted: small 8, 4, 2, 1, −1; large 16, 6, 1, 0, −3 — rows sorted independently of document identity.
  const small = new Float32Array([2, 8, -1, 1, 4]);
  const large = new Float32Array([-3, 1, 6, 16, 0]);
  const m = topScoreMultiplier(small, large, 4); // ratios 2, 1.5, 0.5; rank 4 has large = 0
  assert.equal(m.k, 4);
  assert.equal(m.meanRatio, 4 / 3);
  assert.equal(m.shareAbove1, 2 / 3);
  const top1 = topScoreMultiplier(small, large, 1);
  assert.deepEqual(top1, { meanRatio: 2, shareAbove1: 1, k: 1 });
});

Deno.test("topScoreMultiplier() caps k at the number of documents", () => {
  const m = topScoreMultiplier([1, 2], [1, 2], 50000);
  assert.deepEqual(m, { meanRatio: 1, shareAbove1: 0, k: 2 });
});

Deno.test("topScoreMultiplier() gives NaN without a rank where both are positive", () => {
  const m = topScoreMultiplier([0, -1], [3, 2], 2);
  assert.ok(Number.isNaN(m.meanRatio) && Number.isNaN(m.shareAbove1));
});

Deno.test("topScoreMultiplier() rejects rows of different lengths and a bad k", () => {
  assert.throws(() => topScoreMultiplier([1, 2], [1], 1), RangeError);
  assert.throws(() => topScoreMultiplier([1, 2], [1, 2], 0), RangeError);
});
