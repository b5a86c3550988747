/**
 * Row gather: copies selected rows of a row-major matrix into a dense block (e.g. the token rows that
 * carry a loss term, before a Gram product).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./gather_rows.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Row gather, one element per invocation. */
export const gatherRowsKernel: Kernel = {
  name: "gather_rows",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/**
 * Records `out[i, j] = src[index[i], j]` for i < `rows`, j < width (the last dimension of `src`).
 *
 * @param src Source, f32 [srcRows, width].
 * @param index Row indices, u32, at least `rows` of them, each < srcRows (not checked on the GPU: the
 *   caller validates them when it builds the index).
 * @param rows Rows to gather.
 * @param out Destination, f32 with at least rows·width elements (rows after `rows` are left alone), a
 *   different buffer from `src`.
 * @throws {RangeError} When `index` or `out` is too small.
 * @throws {TypeError} On wrong dtypes or aliasing.
 */
export function gatherRows(src: Tensor, index: Tensor, rows: number, out: Tensor): void {
  const width = src.shape[src.shape.length - 1];
  if (src.dtype !== "f32" || out.dtype !== "f32") throw new TypeError("gatherRows: src and out must be f32");
  if (index.dtype !== "u32") throw new TypeError(`gatherRows: index must be u32, got ${index.dtype}`);
  if (src.buffer === out.buffer) throw new TypeError("gatherRows: out must not share src's buffer");
  if (!Number.isInteger(rows) || rows < 0 || rows > index.size || rows * width > out.size) {
    throw new RangeError(
      `gatherRows: ${rows} rows of width ${width} do not fit index [${index.shape}] and out [${out.shape}]`,
    );
  }
  if (rows * width === 0) return;
  src.gpu.dispatch(gatherRowsKernel, {
    params: new Params().u32(rows * width, width),
    resources: [src.buffer, index.buffer, out.buffer],
    workgroups: linearGrid(src.gpu, rows * width),
  });
}
