/**
 * Scaled vector updates: `axpby`, `axpy`, `scale`.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./axpby.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** The `y = α·x + β·y` kernel. */
export const axpbyKernel: Kernel = { name: "axpby", source, bindings: ["uniform", "read", "read_write"] };

/**
 * Records `y = α·x + β·y` (f32, same size). With `β = 0`, y is not read.
 *
 * @param alpha Scale of x.
 * @param x Input.
 * @param beta Scale of y.
 * @param y Input/output, in a buffer distinct from x's.
 * @throws {RangeError} When sizes differ.
 * @throws {TypeError} When dtypes are not f32 or y aliases x.
 */
export function axpby(alpha: number, x: Tensor, beta: number, y: Tensor): void {
  if (x.dtype !== "f32" || y.dtype !== "f32") throw new TypeError("axpby: tensors must be f32");
  if (x.size !== y.size) throw new RangeError(`axpby: x has ${x.size} elements, y has ${y.size}`);
  if (x.buffer === y.buffer) throw new TypeError("axpby: y must not share x's buffer");
  if (x.size === 0) return;
  x.gpu.dispatch(axpbyKernel, {
    params: new Params().u32(x.size).f32(alpha, beta),
    resources: [x.buffer, y.buffer],
    workgroups: linearGrid(x.gpu, x.size),
  });
}

/** Records `y += α·x`. */
export function axpy(alpha: number, x: Tensor, y: Tensor): void {
  axpby(alpha, x, 1, y);
}

/** Records `out = α·x` (out is not read). */
export function scale(x: Tensor, alpha: number, out: Tensor): void {
  axpby(alpha, x, 0, out);
}
