/**
 * CPU reference of `copy_columns.wgsl`.
 *
 * @module
 */

/**
 * Copies columns [offset, offset + cols) of every row.
 *
 * @param src Rows of `stride` elements, row-major.
 * @param stride Row length of `src`.
 * @param offset First column.
 * @param cols Number of columns.
 * @returns The block, [rows, cols].
 * @example
 * ```ts
 * import { copyColumnsCpu } from "./copy_columns.ts";
 * console.assert(copyColumnsCpu(new Float32Array([1, 2, 3, 4]), 2, 1, 1)[1] === 4);
 * ```
 */
export function copyColumnsCpu(
  src: Float32Array,
  stride: number,
  offset: number,
  cols: number,
): Float32Array {
  const rows = Math.floor(src.length / stride);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    out.set(src.subarray(r * stride + offset, r * stride + offset + cols), r * cols);
  }
  return out;
}
