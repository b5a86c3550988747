/**
 * CPU reference of the reductions, accumulating in f64 (the exact value the f32 kernel approximates).
 *
 * @module
 */
import type { ReduceAxis, ReduceOp } from "../kernels/reduce.ts";

/**
 * Reduces `x` (and `y` for `"dot"`) of shape `shape` as `reduce(op, axis, …)` does.
 *
 * @param op `"sum"`, `"sumsq"` or `"dot"`.
 * @param axis `"last"`, `"leading"` or `"all"`.
 * @param x Elements, row-major.
 * @param shape Shape of x.
 * @param y Second operand for `"dot"`.
 * @returns The reduced values in f64.
 *
 * @example
 * ```ts
 * import { reduceCpu } from "./reduce.ts";
 * const r = reduceCpu("sum", "leading", new Float32Array([1, 2, 3, 4]), [2, 2]);
 * console.assert(r[0] === 4 && r[1] === 6);
 * ```
 */
export function reduceCpu(
  op: ReduceOp,
  axis: ReduceAxis,
  x: Float32Array,
  shape: readonly number[],
  y?: Float32Array,
): Float64Array {
  const last = shape.length === 0 ? 1 : shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const out = new Float64Array(axis === "last" ? rows : axis === "leading" ? last : 1);
  for (let i = 0; i < x.length; i++) {
    const v = op === "sum" ? x[i] : op === "sumsq" ? x[i] * x[i] : x[i] * y![i];
    out[axis === "last" ? Math.floor(i / last) : axis === "leading" ? i % last : 0] += v;
  }
  return out;
}
