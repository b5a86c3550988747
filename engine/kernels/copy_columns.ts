/**
 * Strided column-block copy (e.g. one projection's output gradients out of a fused projection).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./copy_columns.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Column-block copy, one element per invocation. */
export const copyColumnsKernel: Kernel = {
  name: "copy_columns",
  source,
  bindings: ["uniform", "read", "read_write"],
};

/**
 * Records `out[r, c] = src[r, offset + c]` for the rows of `out` ([rows, cols]); `src` has rows of
 * its last dimension.
 *
 * @param src Source, f32 [rows, stride].
 * @param offset First copied column.
 * @param out Destination, f32 [rows, cols], a different buffer.
 * @throws {RangeError} When the block falls outside `src`.
 * @throws {TypeError} On wrong dtypes or aliasing.
 */
export function copyColumns(src: Tensor, offset: number, out: Tensor): void {
  const stride = src.shape[src.shape.length - 1], cols = out.shape[out.shape.length - 1];
  if (src.dtype !== "f32" || out.dtype !== "f32") throw new TypeError("copyColumns: tensors must be f32");
  if (src.buffer === out.buffer) throw new TypeError("copyColumns: out must not share src's buffer");
  const rows = cols > 0 ? out.size / cols : 0;
  if (offset + cols > stride || rows * stride > src.size) {
    throw new RangeError(
      `copyColumns: columns ${offset}..${offset + cols} of ${rows} rows exceed src [${src.shape}]`,
    );
  }
  if (out.size === 0) return;
  src.gpu.dispatch(copyColumnsKernel, {
    params: new Params().u32(out.size, cols, stride, offset),
    resources: [src.buffer, out.buffer],
    workgroups: linearGrid(src.gpu, out.size),
  });
}
