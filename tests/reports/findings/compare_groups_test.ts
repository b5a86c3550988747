import assert from "node:assert/strict";
import { compareGroups, compareToValue, VERDICT_RULE } from "../../../reports/findings/compare_groups.ts";

const options = { resamples: 200, confidence: 0.95, seed: 1, permutations: 999 };

Deno.test("compareGroups() reproduces a significant difference in the expected direction, with its effect", () => {
  const c = compareGroups([5, 6, 7, 6, 5], [1, 2, 1, 2, 1], options);
  assert.equal(c.verdict, "reproduced");
  assert.equal(c.test.name, "permutation (Welch t)");
  // 5 + 5 values: only the observed split (and its mirror) reach |t|: p ≈ 2/252, floored at 1/1000.
  assert.ok(c.test.pValue! < 0.02 && c.test.pValue! >= 1 / 1000, `${c.test.pValue}`);
  assert.equal(c.test.draws, 999);
  assert.equal(c.a.mean, 5.8);
  assert.equal(c.b.mean, 1.4);
  assert.ok(Math.abs(c.effect.difference.mean - 4.4) < 1e-12);
  assert.ok(c.effect.difference.low > 3 && c.effect.difference.high < 5.6, JSON.stringify(c.effect));
  // Pooled sd: √((2.8 + 1.2) / 8) = √0.5.
  assert.ok(Math.abs(c.effect.d - 4.4 / Math.sqrt(0.5)) < 1e-12, `${c.effect.d}`);
});

Deno.test("compareGroups() calls a significant opposite difference not reproduced, a weak one inconclusive", () => {
  assert.equal(compareGroups([1, 2, 1, 2, 1], [5, 6, 7, 6, 5], options).verdict, "not-reproduced");
  assert.equal(compareGroups([1, 3, 2, 4], [2, 3, 1, 3], options).verdict, "inconclusive");
  assert.equal(compareGroups([1], [0, 0, 0], options).verdict, "inconclusive");
  // No draws: no test, so no verdict either way.
  const untested = compareGroups([5, 6, 7, 6, 5], [1, 2, 1, 2, 1], { ...options, permutations: 0 });
  assert.equal(untested.verdict, "inconclusive");
  assert.equal(untested.test.pValue, null);
});

Deno.test("compareGroups() gives constant groups apart a p-value bounded by the group sizes, not 0", () => {
  // Two queries each: 6 ways to split 4 values, 2 of them as extreme: p ≈ 1/3, inconclusive.
  const small = compareGroups([1, 1], [0, 0], options);
  assert.equal(small.test.statistic, Infinity);
  assert.ok(Math.abs(small.test.pValue! - 1 / 3) < 0.05, `${small.test.pValue}`);
  assert.equal(small.verdict, "inconclusive");
  // Eight each: C(16, 8) = 12870 splits, 2 as extreme: p at the floor 1/(1 + draws).
  const large = compareGroups(Array(8).fill(1), Array(8).fill(0), options);
  assert.equal(large.test.pValue, 1 / 1000);
  assert.equal(large.verdict, "reproduced");
  assert.equal(large.effect.d, Infinity);
  // Every value the same: no effect at all.
  const same = compareGroups([0, 0, 0], [0, 0], options);
  assert.equal(same.verdict, "not-reproduced");
  assert.equal(same.test.pValue, null);
});

Deno.test("compareToValue() tests a mean against a fixed value by flipping signs", () => {
  const up = compareToValue([2, 3, 2.5, 3.5], 1, options);
  // 2^4 = 16 sign patterns ≤ 999 draws: enumerated, exact p = 2/16.
  assert.equal(up.test.pValue, 2 / 16);
  assert.equal(up.test.draws, 16);
  assert.equal(up.verdict, "inconclusive", "four queries cannot reach p < 0.05 two-sided");
  const six = compareToValue([2, 3, 2.5, 3.5, 2.2, 2.8], 1, options);
  assert.equal(six.test.pValue, 2 / 64);
  assert.equal(six.verdict, "reproduced");
  assert.ok(Math.abs(six.effect.difference.mean - 1.666666666666667) < 1e-12);
  assert.equal(compareToValue([0.2, 0.4, 0.3, 0.1, 0.5, 0.2], 1, options).verdict, "not-reproduced");
  assert.equal(compareToValue([1, 1, 1], 1, options).verdict, "not-reproduced");
  const c = compareToValue([0.5, 1.5, 0.8, 1.2], 1, options);
  assert.equal(c.verdict, "inconclusive");
  assert.equal(c.b.mean, 1);
  assert.equal(c.test.name, "sign-flip (t)");
});

Deno.test("compareToValue() on near-identical values: p bounded by the number of queries, not ≈ 0", () => {
  // The old one-sample t-test gave p ≈ 1e-9 here; three queries alike are worth p = 2/8 at best.
  const c = compareToValue([4, 4.0001, 3.9999], 1, options);
  assert.equal(c.test.pValue, 2 / 8);
  assert.equal(c.verdict, "inconclusive");
  const many = compareToValue(Array.from({ length: 20 }, (_, i) => 4 + i * 1e-4), 1, options);
  assert.equal(many.test.pValue, 1 / 1000, "20 queries alike: at the floor of 999 random sign patterns");
  assert.equal(many.verdict, "reproduced");
});

Deno.test("VERDICT_RULE states the tests, the effect sizes and the gates", () => {
  for (const part of ["never query pairs", "set labels", "flipping the signs", "Cohen's d", "80%", "90%"]) {
    assert.ok(VERDICT_RULE.includes(part), part);
  }
});
