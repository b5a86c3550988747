/**
 * CPU reference of `argmax.wgsl`.
 *
 * @module
 */

/**
 * First index of the largest value of each row (NaN entries are never chosen unless a row is all NaN).
 *
 * @param logits Scores, [rows, vocab] row-major.
 * @param rows Number of rows.
 * @param vocab Row length.
 * @returns The indices, [rows].
 * @example
 * ```ts
 * import { argmaxCpu } from "./argmax.ts";
 * console.assert(argmaxCpu(new Float32Array([1, 3, 3, 0]), 2, 2)[0] === 1);
 * ```
 */
export function argmaxCpu(logits: ArrayLike<number>, rows: number, vocab: number): Int32Array {
  const ids = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0, bestValue = logits[r * vocab];
    for (let v = 1; v < vocab; v++) {
      const x = logits[r * vocab + v];
      if (x > bestValue || (Number.isNaN(bestValue) && !Number.isNaN(x))) {
        best = v;
        bestValue = x;
      }
    }
    ids[r] = best;
  }
  return ids;
}
