/**
 * Elementwise `add`, `sub`, `mul` with a broadcast second operand.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./binary.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** The binary elementwise kernel (constant `OP`: 0 add, 1 sub, 2 mul). */
export const binaryKernel: Kernel = {
  name: "binary",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/** Binary operations of {@linkcode binaryKernel}. */
export type BinaryOp = "add" | "sub" | "mul";

const OP_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2 };

/**
 * Records `out[i] = a[i] op b[i mod b.size]` (f32).
 *
 * @param op Operation.
 * @param a First operand.
 * @param b Second operand; its size must divide `a.size` (same shape, or a trailing-axes slice such
 *   as a row vector).
 * @param out Output with `a`'s size, in a buffer distinct from `a`'s and `b`'s (WebGPU forbids
 *   binding one buffer as both read-only and writable storage in a dispatch).
 * @throws {RangeError} When sizes do not fit.
 * @throws {TypeError} When dtypes are not f32 or `out` aliases an input.
 */
export function binary(op: BinaryOp, a: Tensor, b: Tensor, out: Tensor): void {
  for (const t of [a, b, out]) {
    if (t.dtype !== "f32") throw new TypeError(`${op}: tensors must be f32, got ${t.dtype}`);
  }
  if (out.size !== a.size) throw new RangeError(`${op}: out has ${out.size} elements, a has ${a.size}`);
  if (b.size === 0 ? a.size !== 0 : a.size % b.size !== 0) {
    throw new RangeError(`${op}: b's ${b.size} elements do not divide a's ${a.size}`);
  }
  if (out.buffer === a.buffer || out.buffer === b.buffer) {
    throw new TypeError(`${op}: out must not share a buffer with an input`);
  }
  if (a.size === 0) return;
  a.gpu.dispatch(binaryKernel, {
    constants: { OP: OP_CODE[op] },
    params: new Params().u32(a.size, b.size),
    resources: [a.buffer, b.buffer, out.buffer],
    workgroups: linearGrid(a.gpu, a.size),
  });
}

/** Records `out = a + b` (b broadcast as in {@linkcode binary}). */
export function add(a: Tensor, b: Tensor, out: Tensor): void {
  binary("add", a, b, out);
}

/** Records `out = a − b` (b broadcast as in {@linkcode binary}). */
export function sub(a: Tensor, b: Tensor, out: Tensor): void {
  binary("sub", a, b, out);
}

/** Records `out = a ⊙ b` (b broadcast as in {@linkcode binary}). */
export function mul(a: Tensor, b: Tensor, out: Tensor): void {
  binary("mul", a, b, out);
}
