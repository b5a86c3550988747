/**
 * Linear layer without bias, HF `nn.Linear` layout: weight [out, in] row-major, y = x Wᵀ.
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

/**
 * y[r, o] = Σ_i x[r, i] · w[o, i].
 *
 * @param x Inputs, [rows, inDim] row-major.
 * @param w Weight, [outDim, inDim] row-major.
 * @param rows Number of rows (tokens).
 * @param inDim Input width.
 * @param outDim Output width.
 * @returns y, [rows, outDim].
 * @throws {RangeError} When an array's length does not match its shape.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearForward } from "./linear.ts";
 * const y = linearForward(new Float64Array([1, 2]), new Float64Array([1, 0, 3, 4]), 1, 2, 2);
 * assert.deepEqual(y, new Float64Array([1, 11]));
 * ```
 */
export function linearForward(
  x: Float64Array,
  w: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
): Float64Array {
  assertLength("linearForward()", "x", x, { rows, in: inDim });
  assertLength("linearForward()", "w", w, { out: outDim, in: inDim });
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = 0;
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i] * w[o * inDim + i];
      y[r * outDim + o] = sum;
    }
  }
  return y;
}

/**
 * Gradients of a linear layer: dx = dy W, dW = dyᵀ x = Σ_r g_r a_rᵀ (with a = x, g = dy).
 *
 * @param x Inputs of the forward pass, [rows, inDim].
 * @param w Weight, [outDim, inDim].
 * @param dy Gradient with respect to y, [rows, outDim].
 * @param rows Number of rows (tokens).
 * @param inDim Input width.
 * @param outDim Output width.
 * @returns dx [rows, inDim] and dw [outDim, inDim].
 * @throws {RangeError} When an array's length does not match its shape.
 */
export function linearBackward(
  x: Float64Array,
  w: Float64Array,
  dy: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
): { dx: Float64Array; dw: Float64Array } {
  assertLength("linearBackward()", "x", x, { rows, in: inDim });
  assertLength("linearBackward()", "w", w, { out: outDim, in: inDim });
  assertLength("linearBackward()", "dy", dy, { rows, out: outDim });
  const dx = new Float64Array(rows * inDim);
  const dw = new Float64Array(outDim * inDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const g = dy[r * outDim + o];
      for (let i = 0; i < inDim; i++) {
        dx[r * inDim + i] += g * w[o * inDim + i];
        dw[o * inDim + i] += g * x[r * inDim + i];
      }
    }
  }
  return { dx, dw };
}
