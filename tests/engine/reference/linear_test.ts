import assert from "node:assert/strict";
import { linearBackward, linearForward } from "../../../engine/reference/linear.ts";
import { assertGradient, dot, randomArray } from "./gradient_check.ts";

Deno.test("linearForward() computes x Wᵀ with W laid out [out, in]", () => {
  const x = new Float64Array([1, 2, 3, 4, 5, 6]); // [2, 3]
  const w = new Float64Array([1, 0, 0, 0, 1, -1]); // [2, 3]
  assert.deepEqual(linearForward(x, w, 2, 3, 2), new Float64Array([1, -1, 4, -1]));
});

Deno.test("linearBackward() matches finite differences", () => {
  const [rows, inDim, outDim] = [4, 3, 5];
  const x = randomArray(1, "x", rows * inDim);
  const w = randomArray(1, "w", outDim * inDim);
  const r = randomArray(1, "r", rows * outDim);
  const f = () => dot(r, linearForward(x, w, rows, inDim, outDim));
  const { dx, dw } = linearBackward(x, w, r, rows, inDim, outDim);
  assertGradient("dx", f, x, dx);
  assertGradient("dw", f, w, dw);
});

Deno.test("linearForward() rejects arrays that do not match the shape", () => {
  assert.throws(() => linearForward(new Float64Array(5), new Float64Array(6), 2, 3, 2), {
    name: "RangeError",
    message: "linearForward(): x has 5 values, expected 6 for [rows=2, in=3]",
  });
});
