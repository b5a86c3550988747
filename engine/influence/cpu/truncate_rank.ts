/**
 * Rank-k truncation of a preconditioned query gradient (Grosse et al.: rank 32 loses almost nothing).
 *
 * @module
 */

import { matmulF64 } from "./dense.ts";
import { symmetricEigen } from "./symmetric_eigen.ts";

/**
 * The best rank-k approximation (Frobenius and spectral norm) of M, U_k Σ_k V_kᵀ, computed as the
 * projection onto the top-k singular vectors of the smaller side: U_k U_kᵀ M from the eigenvectors of
 * M Mᵀ when rows ≤ cols, else M V_k V_kᵀ from MᵀM (float64 Jacobi). Ties at the cut are broken by the
 * solver's ascending order, so the result is deterministic.
 *
 * @param matrix M, [rows, cols] row-major.
 * @param rows Rows.
 * @param cols Columns.
 * @param rank k ≥ 1; k ≥ min(rows, cols) returns an exact copy.
 * @returns The rank-k matrix, [rows, cols].
 * @throws {RangeError} When the rank is not a positive integer or the shape is wrong.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { truncateRank } from "./truncate_rank.ts";
 * const m = new Float64Array([3, 0, 0, 1]); // singular values 3 and 1
 * const one = truncateRank(m, 2, 2, 1);
 * assert.ok(Math.abs(one[0] - 3) < 1e-15 && Math.abs(one[3]) < 1e-15);
 * ```
 */
export function truncateRank(matrix: Float64Array, rows: number, cols: number, rank: number): Float64Array {
  if (!Number.isSafeInteger(rank) || rank < 1) {
    throw new RangeError(`truncateRank(): rank must be a positive integer, got ${rank}`);
  }
  if (matrix.length !== rows * cols) {
    throw new RangeError(`truncateRank(): matrix has ${matrix.length} values, expected ${rows}·${cols}`);
  }
  const side = Math.min(rows, cols);
  if (rank >= side) return matrix.slice();
  const wide = rows <= cols;
  // Gram matrix of the smaller side: M Mᵀ [rows, rows] or MᵀM [cols, cols].
  const gram = wide
    ? matmulF64(matrix, matrix, rows, cols, rows, false, true)
    : matmulF64(matrix, matrix, cols, rows, cols, true, false);
  const { vectors } = symmetricEigen(gram, side);
  // The top-k eigenvectors are the last k columns (ascending eigenvalues): basis [side, k].
  const basis = new Float64Array(side * rank);
  for (let r = 0; r < side; r++) {
    for (let j = 0; j < rank; j++) basis[r * rank + j] = vectors[r * side + side - rank + j];
  }
  if (wide) {
    const coefficients = matmulF64(basis, matrix, rank, rows, cols, true); // U_kᵀ M, [k, cols]
    return matmulF64(basis, coefficients, rows, rank, cols);
  }
  const coefficients = matmulF64(matrix, basis, rows, cols, rank); // M V_k, [rows, k]
  return matmulF64(coefficients, basis, rows, rank, cols, false, true);
}
