/**
 * CPU reference of `gather_rows.wgsl`.
 *
 * @module
 */

/**
 * Gathers rows of a row-major matrix.
 *
 * @param src Rows of `width` elements.
 * @param width Row length.
 * @param index Source row of each output row.
 * @returns The gathered block, [index.length, width].
 * @example
 * ```ts
 * import { gatherRowsCpu } from "./gather_rows.ts";
 * console.assert(gatherRowsCpu(new Float32Array([1, 2, 3, 4]), 2, [1])[0] === 3);
 * ```
 */
export function gatherRowsCpu(src: Float32Array, width: number, index: ArrayLike<number>): Float32Array {
  const out = new Float32Array(index.length * width);
  for (let i = 0; i < index.length; i++) {
    out.set(src.subarray(index[i] * width, (index[i] + 1) * width), i * width);
  }
  return out;
}
