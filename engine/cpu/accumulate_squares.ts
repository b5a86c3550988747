/**
 * CPU reference of `accumulate_squares.wgsl`.
 *
 * @module
 */

/**
 * Adds Σ_z x[offset + z·size + i]² to acc[i], summing the batch first (in float64).
 *
 * @param x Input items.
 * @param batch Items summed.
 * @param acc Accumulator of `size` elements, updated in place.
 * @param offset Element index of the first item.
 * @example
 * ```ts
 * import { accumulateSquaresCpu } from "./accumulate_squares.ts";
 * const acc = new Float32Array([1]);
 * accumulateSquaresCpu(new Float32Array([2, 3]), 2, acc);
 * console.assert(acc[0] === 14);
 * ```
 */
export function accumulateSquaresCpu(
  x: Float32Array,
  batch: number,
  acc: Float32Array | Float64Array,
  offset = 0,
): void {
  for (let i = 0; i < acc.length; i++) {
    let sum = 0;
    for (let z = 0; z < batch; z++) sum += x[offset + z * acc.length + i] ** 2;
    acc[i] += sum;
  }
}
