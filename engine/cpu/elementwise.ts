/**
 * CPU references of the elementwise kernels (f32 results, same broadcasting rules).
 *
 * @module
 */
import type { BinaryOp } from "../kernels/binary.ts";

/**
 * `out[i] = a[i] op b[i mod b.length]`, rounded to f32.
 *
 * @example
 * ```ts
 * import { binaryCpu } from "./elementwise.ts";
 * const out = binaryCpu("add", new Float32Array([1, 2, 3, 4]), new Float32Array([10, 20]));
 * console.assert(out[3] === 24);
 * ```
 */
export function binaryCpu(op: BinaryOp, a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i % b.length];
    out[i] = op === "add" ? x + y : op === "sub" ? x - y : x * y;
  }
  return out;
}

/** `α·x + β·y`, rounded to f32; y is ignored when β = 0 (as in the kernel). */
export function axpbyCpu(alpha: number, x: Float32Array, beta: number, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = beta === 0 ? alpha * x[i] : alpha * x[i] + beta * y[i];
  return out;
}
