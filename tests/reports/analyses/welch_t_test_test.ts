import assert from "node:assert/strict";
import { welchTTest } from "../../../reports/analyses/welch_t_test.ts";

/** jStat's incomplete beta stops its continued fraction at a relative step of 3e-7. */
const P_TOLERANCE = 1e-7;

Deno.test("welchTTest() gives t-table p-values on one degree of freedom", () => {
  // a constant, b = (−1, 1): se = 1, and all variance from b with nB − 1 = 1 gives df = 1 (Cauchy).
  const half = welchTTest([1, 1], [-1, 1]);
  assert.deepEqual([half.t, half.df, half.meanA, half.meanB], [1, 1, 1, 0]);
  assert.ok(Math.abs(half.pValue - 0.5) < P_TOLERANCE); // P(|T₁| ≥ 1) = 1/2
  const critical = welchTTest([12.706204736174694, 12.706204736174694], [-1, 1]); // t₀.₉₇₅ on 1 df
  assert.ok(Math.abs(critical.pValue - 0.05) < P_TOLERANCE);
});

Deno.test("welchTTest() gives t-table p-values on two degrees of freedom", () => {
  // Two samples of two, equal variances 2: se = √2, df = 2(n − 1) = 2; p = 1 − t/√(2 + t²) in closed form.
  const shift = (t: number) => welchTTest([-1 + t * Math.SQRT2, 1 + t * Math.SQRT2], [-1, 1]);
  const w = shift(2);
  assert.ok(Math.abs(w.t - 2) < 1e-12 && Math.abs(w.df - 2) < 1e-12);
  assert.ok(Math.abs(w.pValue - (1 - 2 / Math.sqrt(6))) < P_TOLERANCE);
  assert.ok(Math.abs(shift(4.302652729749462).pValue - 0.05) < P_TOLERANCE); // t₀.₉₇₅ on 2 df
});

Deno.test("welchTTest() gives t-table p-values on ten degrees of freedom", () => {
  // Six and six values, equal variances 6/5: se = √0.4, df = 10.
  const b = [-1, 1, -1, 1, -1, 1];
  const shift = (t: number) => welchTTest(b.map((v) => v + t * Math.sqrt(0.4)), b);
  const w = shift(-2);
  assert.ok(Math.abs(w.t + 2) < 1e-12 && Math.abs(w.df - 10) < 1e-12);
  assert.ok(Math.abs(w.pValue - 0.07338803477074037) < P_TOLERANCE);
  assert.ok(Math.abs(shift(2.228138851986274).pValue - 0.05) < P_TOLERANCE); // t₀.₉₇₅ on 10 df
});

Deno.test("welchTTest() uses the Welch–Satterthwaite df for unequal samples", () => {
  const a = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0];
  const b = [28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9, 21.6];
  const w = welchTTest(a, [...b, 24.3, 20.4, 23.9, 13.3]);
  // Reference values of a standard implementation (Welch's unequal-variance t-test).
  assert.ok(Math.abs(w.t + 2.225512039969852) < 1e-12);
  assert.ok(Math.abs(w.df - 24.524634944257343) < 1e-9);
  assert.ok(Math.abs(w.pValue - 0.035484530830010394) < P_TOLERANCE);
  assert.ok(Math.abs(w.meanA - 19.37) < 1e-12);
});

Deno.test("welchTTest() handles constant samples and rejects bad input", () => {
  const w = welchTTest([2, 2], [1, 1]);
  assert.equal(w.t, Infinity);
  assert.ok(Number.isNaN(w.df) && Number.isNaN(w.pValue));
  assert.throws(() => welchTTest([1], [1, 2]), RangeError);
  assert.throws(() => welchTTest([1, NaN], [1, 2]), RangeError);
});
