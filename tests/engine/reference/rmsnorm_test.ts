import assert from "node:assert/strict";
import { rmsNormBackward, rmsNormForward } from "../../../engine/reference/rmsnorm.ts";
import { assertGradient, dot, randomArray } from "./gradient_check.ts";

Deno.test("rmsNormForward() scales each row to unit root-mean-square times the gain", () => {
  const { y, invRms } = rmsNormForward(
    new Float64Array([1, 2, 2, 4]),
    new Float64Array([1, 1, 1, 1]),
    1,
    4,
    1e-6,
  );
  const expected = 1 / Math.sqrt(25 / 4 + 1e-6);
  assert.equal(invRms[0], expected);
  assert.deepEqual(y, new Float64Array([1, 2, 2, 4].map((v) => v * expected)));
});

Deno.test("rmsNormBackward() matches finite differences", () => {
  const [rows, dim, eps] = [3, 6, 1e-5];
  const x = randomArray(2, "x", rows * dim);
  const w = randomArray(2, "w", dim, 0.3, 1);
  const r = randomArray(2, "r", rows * dim);
  const f = () => dot(r, rmsNormForward(x, w, rows, dim, eps).y);
  const { invRms } = rmsNormForward(x, w, rows, dim, eps);
  const { dx, dw } = rmsNormBackward(x, w, invRms, r, rows, dim);
  assertGradient("dx", f, x, dx);
  assertGradient("dw", f, w, dw);
});
