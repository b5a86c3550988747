import assert from "node:assert/strict";
import { oneSampleTTest } from "../../../reports/analyses/one_sample_t_test.ts";

Deno.test("oneSampleTTest() matches t-table values", () => {
  // Sample 1..5 against 1: mean 3, s = √2.5, t = 2/√0.5 = 2.8284 on 4 df, two-sided p = 0.04742.
  const r = oneSampleTTest([1, 2, 3, 4, 5], 1);
  assert.ok(Math.abs(r.t - 2 * Math.SQRT2) < 1e-12);
  assert.equal(r.df, 4);
  assert.ok(Math.abs(r.pValue - 0.047421) < 2e-6, `${r.pValue}`);
  // t = 1 on 1 df: p = 1/2 exactly.
  assert.ok(Math.abs(oneSampleTTest([0, 2], 0).pValue - 0.5) < 1e-7);
});

Deno.test("oneSampleTTest() gives an infinite t and no p-value for a constant sample", () => {
  const r = oneSampleTTest([2, 2, 2], 1);
  assert.equal(r.t, Infinity);
  assert.ok(Number.isNaN(r.pValue));
  assert.throws(() => oneSampleTTest([1], 0), /at least 2/);
  assert.throws(() => oneSampleTTest([1, NaN], 0), /value 1 is NaN/);
});
