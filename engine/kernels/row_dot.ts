/**
 * Row-wise dot products of a dense block with a row block of another matrix, optionally accumulated
 * (per-token influence scores g_tᵀ (P a_t), summed over layers).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./row_dot.wgsl" with { type: "text" };

/** The row-dot kernel, one row per invocation. */
export const rowDotKernel: Kernel = {
  name: "row_dot",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/** Where {@linkcode rowDot} reads g and writes out. */
export interface RowDotOptions {
  /** Row stride of g in elements (default: `width`). */
  ldg?: number;
  /** Element index of g's first row (default 0). */
  offsetG?: number;
  /** Element index of the first output (default 0). */
  offsetOut?: number;
  /** Add to the existing outputs instead of overwriting them (default false). */
  accumulate?: boolean;
}

/**
 * Records `out[offsetOut + r] (+)= Σ_j y[r, j] · g[offsetG + r·ldg + j]` for r < rows.
 *
 * @param y Dense rows, f32 with at least rows·width elements.
 * @param g Second operand, f32.
 * @param rows Rows.
 * @param width Elements per row.
 * @param out Output, f32, a buffer distinct from y and g.
 * @param options Strides, offsets and accumulation.
 * @throws {RangeError} When an access falls outside a tensor.
 * @throws {TypeError} On wrong dtypes or aliasing.
 */
export function rowDot(
  y: Tensor,
  g: Tensor,
  rows: number,
  width: number,
  out: Tensor,
  options: RowDotOptions = {},
): void {
  const ldg = options.ldg ?? width, offsetG = options.offsetG ?? 0, offsetOut = options.offsetOut ?? 0;
  for (const t of [y, g, out]) if (t.dtype !== "f32") throw new TypeError("rowDot: tensors must be f32");
  if (out.buffer === y.buffer || out.buffer === g.buffer) {
    throw new TypeError("rowDot: out must not share a buffer with an input");
  }
  if (rows === 0) return;
  if (
    rows * width > y.size || offsetG + (rows - 1) * ldg + width > g.size || offsetOut + rows > out.size ||
    ldg < width
  ) {
    throw new RangeError(`rowDot: ${rows} rows of ${width} exceed y [${y.shape}], g [${g.shape}] or out`);
  }
  y.gpu.dispatch(rowDotKernel, {
    params: new Params().u32(rows, width, ldg, offsetG, offsetOut, options.accumulate ? 1 : 0),
    resources: [y.buffer, g.buffer, out.buffer],
    workgroups: linearGrid(y.gpu, rows),
  });
}
