/**
 * Eigendecomposition of a real symmetric matrix in float64 by the cyclic Jacobi method, the
 * reference for the WGSL parallel Jacobi solver.
 *
 * @module
 */

/** Result of {@linkcode symmetricEigen}: A ≈ Q diag(values) Qᵀ. */
export interface SymmetricEigen {
  /** Eigenvalues in ascending order (as LAPACK `syevd` / `torch.linalg.eigh`), [n]. */
  values: Float64Array;
  /**
   * Orthonormal eigenvectors as columns, [n, n] row-major: `vectors[r * n + j]` is component r of
   * eigenvector j, which belongs to `values[j]`. Sign: each eigenvector's largest-magnitude component
   * (the first such, by index) is positive.
   */
  vectors: Float64Array;
  /** Full cyclic sweeps performed (each visits every pair p < q once, row by row). */
  sweeps: number;
  /** ‖QᵀQ − I‖_max, the largest absolute entry. */
  orthogonalityError: number;
  /** ‖Q diag(values) Qᵀ − A‖_max / ‖A‖_max (absolute when A is zero), A the symmetrised input. */
  reconstructionError: number;
}

/** Options of {@linkcode symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Stop when the off-diagonal Frobenius norm is at most this times ‖A‖_F; default 1e-15. */
  tolerance?: number;
  /** Give up (RangeError) after this many sweeps; default 64. */
  maxSweeps?: number;
}

/**
 * Cyclic Jacobi eigendecomposition. The input is symmetrised as (A + Aᵀ)/2 first. Each rotation
 * zeroes one off-diagonal pair (p, q) with the stable tangent of Rutishauser; the order of the
 * rotations is fixed (p ascending, then q ascending), so results are deterministic.
 *
 * @param matrix A, [n, n] row-major; not modified.
 * @param n The order.
 * @param options Convergence settings.
 * @returns Ascending eigenvalues, column eigenvectors, sweep count and accuracy measures.
 * @throws {RangeError} When `matrix` is not n × n, holds a non-finite value, or does not converge.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { symmetricEigen } from "./symmetric_eigen.ts";
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
 * assert.ok(Math.abs(values[0] - 1) < 1e-15 && Math.abs(values[1] - 3) < 1e-15);
 * assert.ok(Math.abs(vectors[1] - Math.SQRT1_2) < 1e-15); // eigenvector of 3 is (1, 1)/√2
 * ```
 */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
  options: SymmetricEigenOptions = {},
): SymmetricEigen {
  const tolerance = options.tolerance ?? 1e-15, maxSweeps = options.maxSweeps ?? 64;
  if (!Number.isSafeInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new RangeError(`symmetricEigen(): matrix has ${matrix.length} values, expected n² for n = ${n}`);
  }
  if (!matrix.every(Number.isFinite)) throw new RangeError("symmetricEigen(): matrix has a non-finite value");
  const sym = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) sym[i * n + j] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
  }
  const a = sym.slice();
  // vt holds the eigenvectors as rows while rotating (contiguous updates); transposed at the end.
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  const frobenius = Math.sqrt(a.reduce((sum, v) => sum + v * v, 0));
  let sweeps = 0;
  while (offDiagonalNorm(a, n) > tolerance * frobenius) {
    if (sweeps === maxSweeps) {
      throw new RangeError(`symmetricEigen(): no convergence after ${maxSweeps} sweeps (n = ${n})`);
    }
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(a, vt, n, p, q);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j] || i - j);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((from, j) => {
    const row = vt.subarray(from * n, (from + 1) * n);
    let lead = 0;
    for (let r = 1; r < n; r++) if (Math.abs(row[r]) > Math.abs(row[lead])) lead = r;
    const sign = row[lead] < 0 ? -1 : 1;
    for (let r = 0; r < n; r++) vectors[r * n + j] = sign * row[r];
  });
  return { values, vectors, sweeps, ...eigenErrors(sym, values, vectors, n) };
}

/** √(Σ_{i≠j} a_ij²). */
function offDiagonalNorm(a: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) sum += 2 * a[i * n + j] ** 2;
  }
  return Math.sqrt(sum);
}

/** One Jacobi rotation A ← JᵀAJ zeroing a_pq (J_pp = J_qq = c, J_pq = s, J_qp = −s); Vᵀ ← JᵀVᵀ. */
function rotate(a: Float64Array, vt: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q];
  if (apq === 0) return;
  const app = a[p * n + p], aqq = a[q * n + q];
  const theta = (aqq - app) / (2 * apq);
  const t = Math.abs(theta) > 1e150
    ? 1 / (2 * theta)
    : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1), s = t * c;
  for (let k = 0; k < n; k++) {
    if (k === p || k === q) continue;
    const akp = a[k * n + p], akq = a[k * n + q];
    const kp = c * akp - s * akq, kq = s * akp + c * akq;
    a[k * n + p] = a[p * n + k] = kp;
    a[k * n + q] = a[q * n + k] = kq;
  }
  a[p * n + p] = app - t * apq;
  a[q * n + q] = aqq + t * apq;
  a[p * n + q] = a[q * n + p] = 0;
  const rowP = p * n, rowQ = q * n;
  for (let k = 0; k < n; k++) {
    const vp = vt[rowP + k], vq = vt[rowQ + k];
    vt[rowP + k] = c * vp - s * vq;
    vt[rowQ + k] = s * vp + c * vq;
  }
}

/** The two accuracy measures of {@linkcode SymmetricEigen}. */
function eigenErrors(
  a: Float64Array,
  values: Float64Array,
  q: Float64Array,
  n: number,
): { orthogonalityError: number; reconstructionError: number } {
  let orthogonalityError = 0, reconstruction = 0, scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let gram = 0, rebuilt = 0;
      for (let k = 0; k < n; k++) {
        gram += q[k * n + i] * q[k * n + j];
        rebuilt += q[i * n + k] * values[k] * q[j * n + k];
      }
      orthogonalityError = Math.max(orthogonalityError, Math.abs(gram - (i === j ? 1 : 0)));
      reconstruction = Math.max(reconstruction, Math.abs(rebuilt - a[i * n + j]));
      scale = Math.max(scale, Math.abs(a[i * n + j]));
    }
  }
  return { orthogonalityError, reconstructionError: scale === 0 ? reconstruction : reconstruction / scale };
}
