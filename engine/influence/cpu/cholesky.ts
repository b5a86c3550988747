/**
 * Cholesky factorisation and solves of symmetric positive definite matrices, in float64.
 *
 * @module
 */

/**
 * Factors M = L Lᵀ (reads the lower triangle of M).
 *
 * @param matrix M, [n, n] row-major, symmetric positive definite; not modified.
 * @param n The order.
 * @returns L, [n, n] row-major, lower triangular.
 * @throws {RangeError} When the shape is wrong or M is not numerically positive definite.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choleskyFactor, choleskySolve } from "./cholesky.ts";
 * const l = choleskyFactor(new Float64Array([4, 2, 2, 5]), 2); // L = [[2, 0], [1, 2]]
 * assert.deepEqual(choleskySolve(l, 2, new Float64Array([6, 7])), new Float64Array([1, 1]));
 * ```
 */
export function choleskyFactor(matrix: Float64Array, n: number): Float64Array {
  if (matrix.length !== n * n) throw new RangeError(`choleskyFactor(): matrix is not ${n} × ${n}`);
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diag = matrix[rowJ + j];
    for (let k = 0; k < j; k++) diag -= l[rowJ + k] ** 2;
    if (!(diag > 0)) throw new RangeError(`choleskyFactor(): matrix is not positive definite (pivot ${j})`);
    const ljj = Math.sqrt(diag);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = matrix[rowI + j];
      for (let k = 0; k < j; k++) sum -= l[rowI + k] * l[rowJ + k];
      l[rowI + j] = sum / ljj;
    }
  }
  return l;
}

/**
 * Solves L Lᵀ x = b by forward and back substitution.
 *
 * @param l L from {@linkcode choleskyFactor}, [n, n].
 * @param n The order.
 * @param b Right-hand side, [n].
 * @returns x, [n].
 * @throws {RangeError} When `b` has the wrong length.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  if (b.length !== n) throw new RangeError(`choleskySolve(): b has ${b.length} values, expected ${n}`);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k];
    x[i] = sum / l[i * n + i];
  }
  return x;
}
