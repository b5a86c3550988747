/**
 * RMSNorm, as HF `LlamaRMSNorm`: y = x · 1/sqrt(mean(x²) + eps) · w, per row.
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

/**
 * RMSNorm forward over the last dimension.
 *
 * @param x Inputs, [rows, dim] row-major.
 * @param w Gain, [dim].
 * @param rows Number of rows (tokens).
 * @param dim Normalised width.
 * @param eps Added to mean(x²) before the square root.
 * @returns y [rows, dim], and invRms [rows] = 1/sqrt(mean(x²) + eps), kept for the backward pass.
 * @throws {RangeError} When an array's length does not match its shape.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rmsNormForward } from "./rmsnorm.ts";
 * const { y } = rmsNormForward(new Float64Array([3, -3]), new Float64Array([1, 2]), 1, 2, 0);
 * assert.deepEqual(y, new Float64Array([1, -2]));
 * ```
 */
export function rmsNormForward(
  x: Float64Array,
  w: Float64Array,
  rows: number,
  dim: number,
  eps: number,
): { y: Float64Array; invRms: Float64Array } {
  assertLength("rmsNormForward()", "x", x, { rows, dim });
  assertLength("rmsNormForward()", "w", w, { dim });
  const y = new Float64Array(rows * dim);
  const invRms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sumSquares = 0;
    for (let j = 0; j < dim; j++) sumSquares += x[r * dim + j] ** 2;
    const s = 1 / Math.sqrt(sumSquares / dim + eps);
    invRms[r] = s;
    for (let j = 0; j < dim; j++) y[r * dim + j] = x[r * dim + j] * s * w[j];
  }
  return { y, invRms };
}

/**
 * RMSNorm backward. With s = invRms: dx_k = s·w_k·dy_k − (s³/dim)·x_k·Σ_j dy_j·w_j·x_j, and
 * dw_j = Σ_rows dy_j·x_j·s.
 *
 * @param x Inputs of the forward pass, [rows, dim].
 * @param w Gain, [dim].
 * @param invRms From {@linkcode rmsNormForward}, [rows].
 * @param dy Gradient with respect to y, [rows, dim].
 * @param rows Number of rows.
 * @param dim Normalised width.
 * @returns dx [rows, dim] and dw [dim].
 * @throws {RangeError} When an array's length does not match its shape.
 */
export function rmsNormBackward(
  x: Float64Array,
  w: Float64Array,
  invRms: Float64Array,
  dy: Float64Array,
  rows: number,
  dim: number,
): { dx: Float64Array; dw: Float64Array } {
  assertLength("rmsNormBackward()", "x", x, { rows, dim });
  assertLength("rmsNormBackward()", "w", w, { dim });
  assertLength("rmsNormBackward()", "invRms", invRms, { rows });
  assertLength("rmsNormBackward()", "dy", dy, { rows, dim });
  const dx = new Float64Array(rows * dim);
  const dw = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const s = invRms[r];
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += dy[r * dim + j] * w[j] * x[r * dim + j];
    const coefficient = (s * s * s * dot) / dim;
    for (let j = 0; j < dim; j++) {
      const i = r * dim + j;
      dx[i] = s * w[j] * dy[i] - coefficient * x[i];
      dw[j] += dy[i] * x[i] * s;
    }
  }
  return { dx, dw };
}
