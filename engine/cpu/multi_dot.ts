/**
 * CPU reference of `multi_dot.ts` (`multi_dot_partial.wgsl` + `multi_dot_reduce.wgsl`), in float64.
 *
 * @module
 */

/**
 * `c[offsetC + i·ldc + j] (+)= Σ_k p[offsetP + i·ldp + k] · x[offsetX + j·ldx + k]` for i < m, j < n.
 *
 * @param p P's elements.
 * @param x X's elements.
 * @param c C's elements, updated in place.
 * @param spec Sizes, strides (default k, k, n), offsets (default 0) and accumulation.
 * @example
 * ```ts
 * import { multiDotCpu } from "./multi_dot.ts";
 * const c = new Float32Array(1);
 * multiDotCpu(new Float32Array([1, 2]), new Float32Array([3, 4]), c, { m: 1, n: 1, k: 2 });
 * console.assert(c[0] === 11);
 * ```
 */
export function multiDotCpu(
  p: Float32Array,
  x: Float32Array,
  c: Float32Array | Float64Array,
  spec: {
    m: number;
    n: number;
    k: number;
    ldp?: number;
    ldx?: number;
    offsetP?: number;
    offsetX?: number;
    ldc?: number;
    offsetC?: number;
    accumulate?: boolean;
  },
): void {
  const { m, n, k } = spec;
  const ldp = spec.ldp ?? k, ldx = spec.ldx ?? k, offsetP = spec.offsetP ?? 0, offsetX = spec.offsetX ?? 0;
  const ldc = spec.ldc ?? n, offsetC = spec.offsetC ?? 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let q = 0; q < k; q++) sum += p[offsetP + i * ldp + q] * x[offsetX + j * ldx + q];
      const index = offsetC + i * ldc + j;
      c[index] = spec.accumulate ? c[index] + sum : sum;
    }
  }
}
