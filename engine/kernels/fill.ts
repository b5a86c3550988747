/**
 * `fill` and `copy`.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./fill.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** The fill kernel (writes one 32-bit pattern). */
export const fillKernel: Kernel = { name: "fill", source, bindings: ["uniform", "read_write"] };

/**
 * Records setting every element of `t` to `value` (converted to the tensor's dtype; integers are
 * truncated toward zero, and must fit the dtype).
 *
 * @param t Tensor of any dtype.
 * @param value The value.
 * @throws {RangeError} When an integer dtype cannot hold the value.
 */
export function fill(t: Tensor, value: number): void {
  const bits = new Uint32Array(1);
  if (t.dtype === "f32") new Float32Array(bits.buffer)[0] = value;
  else {
    const v = Math.trunc(value);
    const [lo, hi] = t.dtype === "i32" ? [-0x8000_0000, 0x7fff_ffff] : [0, 0xffff_ffff];
    if (!(v >= lo && v <= hi)) throw new RangeError(`fill: ${value} does not fit ${t.dtype}`);
    if (t.dtype === "i32") new Int32Array(bits.buffer)[0] = v;
    else bits[0] = v;
  }
  if (t.size === 0) return;
  if (bits[0] === 0) {
    t.gpu.clearBuffer(t.buffer, 0, t.byteLength);
    return;
  }
  t.gpu.dispatch(fillKernel, {
    params: new Params().u32(t.size, bits[0]),
    resources: [t.buffer],
    workgroups: linearGrid(t.gpu, t.size),
  });
}

/**
 * Records copying all elements of `src` into `dst` (same size and dtype; shapes may differ).
 *
 * @param src Source.
 * @param dst Destination.
 * @throws {RangeError} When sizes differ.
 * @throws {TypeError} When dtypes differ.
 */
export function copy(src: Tensor, dst: Tensor): void {
  if (src.dtype !== dst.dtype) throw new TypeError(`copy: dtypes differ (${src.dtype}, ${dst.dtype})`);
  if (src.size !== dst.size) throw new RangeError(`copy: src has ${src.size} elements, dst has ${dst.size}`);
  if (src.buffer === dst.buffer) return;
  src.gpu.copyBuffer(src.buffer, 0, dst.buffer, 0, src.byteLength);
}
