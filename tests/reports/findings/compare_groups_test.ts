import assert from "node:assert/strict";
import { compareGroups, compareToValue } from "../../../reports/findings/compare_groups.ts";

const bootstrap = { resamples: 200, confidence: 0.95, seed: 1 };

Deno.test("compareGroups() reproduces a significant difference in the expected direction", () => {
  const c = compareGroups([5, 6, 7, 6, 5], [1, 2, 1, 2, 1], bootstrap);
  assert.equal(c.verdict, "reproduced");
  assert.equal(c.test.name, "Welch t");
  assert.ok(c.test.pValue! < 0.001);
  assert.equal(c.a.mean, 5.8);
  assert.equal(c.b.mean, 1.4);
});

Deno.test("compareGroups() calls a significant opposite difference not reproduced, a weak one inconclusive", () => {
  assert.equal(compareGroups([1, 2, 1, 2, 1], [5, 6, 7, 6, 5], bootstrap).verdict, "not-reproduced");
  assert.equal(compareGroups([1, 3, 2, 4], [2, 3, 1, 3], bootstrap).verdict, "inconclusive");
  assert.equal(compareGroups([1], [0, 0, 0], bootstrap).verdict, "inconclusive");
});

Deno.test("compareGroups() decides constant groups by direction, and equal constants as no effect", () => {
  const apart = compareGroups([1, 1, 1], [0, 0, 0], bootstrap);
  assert.equal(apart.verdict, "reproduced");
  assert.equal(apart.test.pValue, 0);
  const same = compareGroups([0, 0, 0], [0, 0], bootstrap);
  assert.equal(same.verdict, "not-reproduced");
  assert.equal(same.test.pValue, null);
});

Deno.test("compareToValue() tests a mean against a fixed value", () => {
  assert.equal(compareToValue([2, 3, 2.5, 3.5], 1, bootstrap).verdict, "reproduced");
  assert.equal(compareToValue([0.2, 0.4, 0.3, 0.1], 1, bootstrap).verdict, "not-reproduced");
  assert.equal(compareToValue([1, 1, 1], 1, bootstrap).verdict, "not-reproduced");
  const c = compareToValue([0.5, 1.5, 0.8, 1.2], 1, bootstrap);
  assert.equal(c.verdict, "inconclusive");
  assert.equal(c.b.mean, 1);
  assert.equal(c.test.name, "one-sample t");
});
