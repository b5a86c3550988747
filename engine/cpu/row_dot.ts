/**
 * CPU reference of `row_dot.wgsl`.
 *
 * @module
 */

/**
 * Row-wise dot products `out[offsetOut + r] (+)= Σ_j y[r·width + j]·g[offsetG + r·ldg + j]`, in float64.
 *
 * @param y Dense rows.
 * @param g Second operand.
 * @param rows Rows.
 * @param width Elements per row.
 * @param out Output, updated in place.
 * @param options Row stride and offset of g, output offset, accumulation.
 * @example
 * ```ts
 * import { rowDotCpu } from "./row_dot.ts";
 * const out = new Float32Array(1);
 * rowDotCpu(new Float32Array([1, 2]), new Float32Array([3, 4]), 1, 2, out);
 * console.assert(out[0] === 11);
 * ```
 */
export function rowDotCpu(
  y: Float32Array,
  g: Float32Array,
  rows: number,
  width: number,
  out: Float32Array | Float64Array,
  options: { ldg?: number; offsetG?: number; offsetOut?: number; accumulate?: boolean } = {},
): void {
  const ldg = options.ldg ?? width, offsetG = options.offsetG ?? 0, offsetOut = options.offsetOut ?? 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < width; j++) sum += y[r * width + j] * g[offsetG + r * ldg + j];
    out[offsetOut + r] = options.accumulate ? out[offsetOut + r] + sum : sum;
  }
}
