/**
 * Small dense float64 matrix products for the EK-FAC reference. Every matrix is row-major.
 *
 * @module
 */

/**
 * C = op(A) · op(B) with op(X) = X or Xᵀ, accumulated in float64 in a fixed order.
 *
 * @param a A, [m, k] row-major ([k, m] when `transA`).
 * @param b B, [k, n] row-major ([n, k] when `transB`).
 * @param m Rows of op(A) and C.
 * @param k Columns of op(A), rows of op(B).
 * @param n Columns of op(B) and C.
 * @param transA Whether A is given transposed.
 * @param transB Whether B is given transposed.
 * @returns C, [m, n].
 * @throws {RangeError} When an operand's length does not match its shape.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matmulF64 } from "./dense.ts";
 * const c = matmulF64(new Float64Array([1, 2, 3, 4]), new Float64Array([1, 0, 0, 1]), 2, 2, 2, true);
 * assert.deepEqual(c, new Float64Array([1, 3, 2, 4]));
 * ```
 */
export function matmulF64(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
): Float64Array {
  if (a.length !== m * k || b.length !== k * n) {
    throw new RangeError(
      `matmulF64(): operands have ${a.length} and ${b.length} values, expected ${m * k} and ${k * n}`,
    );
  }
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i] : a[i * k + p];
      if (av === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) c[row + j] += av * b[j * k + p];
      } else {
        const off = p * n;
        for (let j = 0; j < n; j++) c[row + j] += av * b[off + j];
      }
    }
  }
  return c;
}

/**
 * Rotates a weight-shaped matrix into a Kronecker eigenbasis: Q_Sᵀ X Q_A.
 *
 * @param x X, [out, in] row-major.
 * @param qs Q_S, [out, out], eigenvectors as columns.
 * @param qa Q_A, [in, in], eigenvectors as columns.
 * @param outDim P.
 * @param inDim M.
 * @returns Q_Sᵀ X Q_A, [out, in]: entry (i, j) pairs S-eigenvector i with A-eigenvector j.
 */
export function toEigenbasis(
  x: Float64Array,
  qs: Float64Array,
  qa: Float64Array,
  outDim: number,
  inDim: number,
): Float64Array {
  return matmulF64(matmulF64(qs, x, outDim, outDim, inDim, true), qa, outDim, inDim, inDim);
}

/**
 * The inverse rotation of {@linkcode toEigenbasis}: Q_S Y Q_Aᵀ.
 *
 * @param y Y, [out, in] row-major, in the eigenbasis.
 * @param qs Q_S, [out, out], eigenvectors as columns.
 * @param qa Q_A, [in, in], eigenvectors as columns.
 * @param outDim P.
 * @param inDim M.
 * @returns Q_S Y Q_Aᵀ, [out, in].
 */
export function fromEigenbasis(
  y: Float64Array,
  qs: Float64Array,
  qa: Float64Array,
  outDim: number,
  inDim: number,
): Float64Array {
  return matmulF64(matmulF64(qs, y, outDim, outDim, inDim), qa, outDim, inDim, inDim, false, true);
}

/**
 * Adds the outer products Σ_rows x_r x_rᵀ of selected rows of X into a symmetric accumulator.
 *
 * @param acc Accumulator, [width, width] row-major, updated in place.
 * @param x Rows, [rows, width] row-major.
 * @param width Row width.
 * @param include Per row, whether it is added; every row when omitted.
 * @param scale Factor applied to every outer product.
 */
export function addGram(
  acc: Float64Array,
  x: Float64Array,
  width: number,
  include?: (row: number) => boolean,
  scale = 1,
): void {
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    if (include !== undefined && !include(r)) continue;
    const base = r * width;
    for (let i = 0; i < width; i++) {
      const xi = scale * x[base + i];
      if (xi === 0) continue;
      const row = i * width;
      for (let j = 0; j < width; j++) acc[row + j] += xi * x[base + j];
    }
  }
}
