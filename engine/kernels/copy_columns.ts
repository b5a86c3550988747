/**
 * Strided column-block copy (e.g. one projection's output gradients out of a fused projection):
 * `copy_columns_vec4.wgsl` when cols, stride and offset are multiples of 4 (see
 * {@linkcode copyColumnsVec4Aligned}), `copy_columns.wgsl` otherwise. Both copy exactly.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./copy_columns.wgsl" with { type: "text" };
import vec4Source from "./copy_columns_vec4.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Column-block copy, one element per invocation (the fallback for unaligned blocks). */
export const copyColumnsKernel: Kernel = {
  name: "copy_columns",
  source,
  bindings: ["uniform", "read", "read_write"],
};

/** Column-block copy, four consecutive columns (one vec4) per invocation. */
export const copyColumnsVec4Kernel: Kernel = {
  name: "copy_columns_vec4",
  source: vec4Source,
  bindings: ["uniform", "read", "read_write"],
};

/**
 * Whether {@linkcode copyColumns} takes the vec4 kernel: cols, the source row stride and the offset
 * are all multiples of 4 (every row of the block then starts on a vec4 boundary).
 *
 * @param cols Copied columns (last dimension of `out`).
 * @param stride Row length of `src` (its last dimension).
 * @param offset First copied column.
 * @returns True when the vec4 kernel applies.
 */
export function copyColumnsVec4Aligned(cols: number, stride: number, offset: number): boolean {
  return cols % 4 === 0 && stride % 4 === 0 && offset % 4 === 0;
}

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
  record(src, offset, out, true);
}

/**
 * {@linkcode copyColumns} always on the scalar kernel, the fallback for unaligned blocks: only for
 * tests and benchmarks that compare the two kernels on aligned blocks. Same checks and errors.
 *
 * @param src Source, f32 [rows, stride].
 * @param offset First copied column.
 * @param out Destination, f32 [rows, cols], a different buffer.
 */
export function copyColumnsScalar(src: Tensor, offset: number, out: Tensor): void {
  record(src, offset, out, false);
}

function record(src: Tensor, offset: number, out: Tensor, vec4: boolean): void {
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
  if (vec4 && copyColumnsVec4Aligned(cols, stride, offset)) {
    src.gpu.dispatch(copyColumnsVec4Kernel, {
      params: new Params().u32(out.size / 4, cols / 4, stride / 4, offset / 4),
      resources: [src.buffer, out.buffer],
      workgroups: linearGrid(src.gpu, out.size / 4),
    });
    return;
  }
  src.gpu.dispatch(copyColumnsKernel, {
    params: new Params().u32(out.size, cols, stride, offset),
    resources: [src.buffer, out.buffer],
    workgroups: linearGrid(src.gpu, out.size),
  });
}
