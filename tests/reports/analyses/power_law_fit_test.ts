import assert from "node:assert/strict";
import { powerLawFit } from "../../../reports/analyses/power_law_fit.ts";

Deno.test("powerLawFit() recovers an exact power law", () => {
  // s = 5 · rank^(−1/2) for ranks 1..6, shuffled among non-positive scores.
  const s = (rank: number) => 5 / Math.sqrt(rank);
  const row = new Float64Array([s(4), -2, s(1), 0, s(6), s(2), s(5), -0.1, s(3)]);
  const fit = powerLawFit(row, 500);
  assert.equal(fit.n, 6);
  assert.ok(Math.abs(fit.alpha + 0.5) < 1e-12);
  assert.ok(Math.abs(fit.intercept - Math.log(5)) < 1e-12);
  assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
});

Deno.test("powerLawFit() fits only the top N by least squares", () => {
  // Top 3 of e², e, e, 0.001: x = (0, ln 2, ln 3), y = (2, 1, 1).
  const fit = powerLawFit(new Float64Array([Math.E, 0.001, Math.E ** 2, Math.E]), 3);
  const x = [0, Math.log(2), Math.log(3)], y = [2, 1, 1];
  const mx = (x[0] + x[1] + x[2]) / 3, my = 4 / 3;
  const sxy = x.reduce((s, xi, i) => s + (xi - mx) * (y[i] - my), 0);
  const sxx = x.reduce((s, xi) => s + (xi - mx) ** 2, 0);
  const syy = y.reduce((s, yi) => s + (yi - my) ** 2, 0); // 2/3
  assert.equal(fit.n, 3);
  assert.ok(Math.abs(fit.alpha - sxy / sxx) < 1e-12);
  assert.ok(Math.abs(fit.intercept - (my - (sxy / sxx) * mx)) < 1e-12);
  assert.ok(Math.abs(fit.r2 - (sxy * sxy) / (sxx * syy)) < 1e-12);
  assert.ok(fit.alpha < -0.9 && fit.r2 < 1); // ≈ −0.93: not an exact power law
});

Deno.test("powerLawFit() returns NaN with fewer than three positive scores", () => {
  const fit = powerLawFit(new Float32Array([3, 0, -1, 2]), 10);
  assert.equal(fit.n, 2);
  assert.ok(Number.isNaN(fit.alpha) && Number.isNaN(fit.intercept) && Number.isNaN(fit.r2));
  assert.throws(() => powerLawFit([1, 2, 3], 0), RangeError);
});
