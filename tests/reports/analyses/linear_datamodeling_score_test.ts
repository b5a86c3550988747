import assert from "node:assert/strict";
import { Rng } from "../../../fixtures/world/rng.ts";
import { linearDatamodelingScore } from "../../../reports/analyses/linear_datamodeling_score.ts";

const bootstrap = { resamples: 500, confidence: 0.95, seed: 3 };
const rng = new Rng(11);
const queries = 40, subsets = 32;
/** Measured changes: a different random pattern per query. */
const measured = Array.from(
  { length: queries },
  () => Array.from({ length: subsets }, () => rng.float() - 0.5),
);

Deno.test("LDS: a perfect predictor (any increasing function of the truth) scores exactly 1", () => {
  const lds = linearDatamodelingScore(
    measured.map((m) => m.map((x) => 3 * x ** 3 + 0.1)),
    measured,
    bootstrap,
  );
  assert.equal(lds.mean, 1);
  assert.equal(lds.low, 1);
  assert.equal(lds.high, 1);
  assert.equal(lds.subsets, subsets);
  assert.equal(lds.n, queries);
});

Deno.test("LDS: a reversed predictor scores −1, a shuffled one near 0 with an interval around 0", () => {
  assert.equal(linearDatamodelingScore(measured.map((m) => m.map((x) => -x)), measured, bootstrap).mean, -1);
  // Each query's predictions are another query's truth: unrelated to its own.
  const shuffled = measured.map((_, q) => measured[(q + 1) % queries]);
  const lds = linearDatamodelingScore(shuffled, measured, bootstrap);
  assert.ok(Math.abs(lds.mean) < 0.1, `shuffled LDS ${lds.mean}`);
  assert.ok(lds.low < 0 && lds.high > 0, `interval [${lds.low}, ${lds.high}]`);
});

Deno.test("LDS: a noisy predictor lies strictly between; constant rows are left out; bad shapes are refused", () => {
  const noisy = measured.map((m) => m.map((x) => x + 0.3 * (rng.float() - 0.5)));
  const lds = linearDatamodelingScore(noisy, measured, bootstrap);
  assert.ok(lds.mean > 0.5 && lds.mean < 1, `noisy LDS ${lds.mean}`);
  const withConstant = linearDatamodelingScore([new Array(subsets).fill(0), ...noisy], [
    measured[0],
    ...measured,
  ], bootstrap);
  assert.ok(Number.isNaN(withConstant.perQuery[0]));
  assert.equal(withConstant.n, queries);
  assert.throws(() => linearDatamodelingScore([[1, 2]], [[1, 2]], bootstrap), /at least 3 subsets/);
  assert.throws(
    () => linearDatamodelingScore([[1, 2, 3]], [[1, 2, 3], [1, 2, 3]], bootstrap),
    /1 predicted rows but 2/,
  );
});
