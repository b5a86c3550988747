/**
 * CPU reference GEMM with exactly the semantics of `matmul()` (see `gemm_spec.ts`), accumulating
 * in f64.
 *
 * @module
 */
import type { GemmSpec } from "../gemm_spec.ts";

/**
 * Computes `C = α·op(A)·op(B) + β·C` in place on host arrays.
 *
 * @param a Elements of A.
 * @param b Elements of B.
 * @param c Elements of C, updated in place (not read when β = 0).
 * @param s Resolved problem (from `resolveGemm`).
 *
 * @example
 * ```ts
 * import { resolveGemm } from "../gemm_spec.ts";
 * import { matmulCpu } from "./matmul.ts";
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([1, 0, 0, 1]), c = new Float32Array(4);
 * const square = { shape: [2, 2], size: 4 };
 * matmulCpu(a, b, c, resolveGemm(square, square, square));
 * console.assert(c[3] === 4);
 * ```
 */
export function matmulCpu(a: Float32Array, b: Float32Array, c: Float32Array, s: GemmSpec): void {
  const row = new Float64Array(s.n);
  for (let z = 0; z < s.batch; z++) {
    const baseA = s.offsetA + z * s.strideA,
      baseB = s.offsetB + z * s.strideB,
      baseC = s.offsetC + z * s.strideC;
    for (let i = 0; i < s.m; i++) {
      row.fill(0);
      // i-k-j order: the inner loop walks a row of op(B) when B is not transposed.
      for (let p = 0; p < s.k; p++) {
        const av = a[baseA + (s.transA ? p * s.lda + i : i * s.lda + p)];
        if (s.transB) {
          for (let j = 0; j < s.n; j++) row[j] += av * b[baseB + j * s.ldb + p];
        } else {
          const off = baseB + p * s.ldb;
          for (let j = 0; j < s.n; j++) row[j] += av * b[off + j];
        }
      }
      const off = baseC + i * s.ldc;
      for (let j = 0; j < s.n; j++) {
        c[off + j] = s.beta === 0 ? s.alpha * row[j] : s.alpha * row[j] + s.beta * c[off + j];
      }
    }
  }
}
