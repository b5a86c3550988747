/**
 * Deterministic reductions: sums, sums of squares and dot products over the last axis, over the
 * leading axes (column sums), or over all elements.
 *
 * Each output is summed in a fixed order — serially in chunks of {@linkcode REDUCE_CHUNK}, then the
 * chunk sums serially — independent of the adapter, so the same inputs give bit-identical results.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import { shapeSize, type Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./reduce.wgsl" with { type: "text" };

/** The partial-reduction kernel (constant `MODE`: 0 sum, 1 sum of squares, 2 dot). */
export const reduceKernel: Kernel = {
  name: "reduce",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/** Elements summed serially per partial sum. */
export const REDUCE_CHUNK = 1024;

/** What is summed: x, x², or x·y. */
export type ReduceOp = "sum" | "sumsq" | "dot";

/**
 * Which elements each output sums, for x of shape `[d0, …, dn]`:
 * - `"last"`: over dn; out has `d0·…·d(n-1)` elements;
 * - `"leading"`: over d0 … d(n-1) (column sums of the `[rows, dn]` view); out has dn elements;
 * - `"all"`: everything; out has 1 element.
 */
export type ReduceAxis = "last" | "leading" | "all";

const MODE: Record<ReduceOp, number> = { sum: 0, sumsq: 1, dot: 2 };

/**
 * Records a deterministic reduction of x (and y for `"dot"`) into out.
 *
 * @param op `"sum"`, `"sumsq"` or `"dot"`.
 * @param axis `"last"`, `"leading"` or `"all"`.
 * @param x Input (f32).
 * @param out Output (f32) with the size `axis` implies.
 * @param y Second input for `"dot"`, same size as x.
 * @throws {RangeError} On size mismatches.
 * @throws {TypeError} On a non-f32 tensor, a missing y, or out aliasing an input.
 */
export function reduce(op: ReduceOp, axis: ReduceAxis, x: Tensor, out: Tensor, y?: Tensor): void {
  const inputs = op === "dot" ? [x, y] : [x];
  for (const t of [...inputs, out]) {
    if (t === undefined) throw new TypeError("reduce: dot needs a second input y");
    if (t.dtype !== "f32") throw new TypeError(`reduce: tensors must be f32, got ${t.dtype}`);
    if (t !== out && t.buffer === out.buffer) {
      throw new TypeError("reduce: out must not share an input's buffer");
    }
  }
  if (y !== undefined && y.size !== x.size) {
    throw new RangeError(`reduce: y has ${y.size} elements, x has ${x.size}`);
  }
  const last = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const lead = shapeSize(x.shape.slice(0, -1));
  let [outer, len, inner] = axis === "last"
    ? [lead, last, 1]
    : axis === "leading"
    ? [1, lead, last]
    : [1, x.size, 1];
  if (out.size !== outer * inner) {
    throw new RangeError(
      `reduce: out must have ${outer * inner} elements for axis "${axis}", got ${out.size}`,
    );
  }
  if (out.size === 0) return;
  if (len === 0) {
    out.gpu.clearBuffer(out.buffer, 0, out.byteLength);
    return;
  }
  const gpu = x.gpu;
  let src = x.buffer, other = (y ?? x).buffer, mode = MODE[op], pass = 0;
  while (len > REDUCE_CHUNK) {
    const parts = Math.ceil(len / REDUCE_CHUNK);
    const dst = gpu.scratchBuffer(`reduce-${pass % 2}`, outer * parts * inner * 4);
    record(x, mode, src, other, dst, [outer, len, inner, REDUCE_CHUNK, parts]);
    [src, other, mode, len, pass] = [dst, dst, MODE.sum, parts, pass + 1];
  }
  record(x, mode, src, other, out.buffer, [outer, len, inner, len, 1]);
}

function record(
  x: Tensor,
  mode: number,
  src: GPUBuffer,
  other: GPUBuffer,
  dst: GPUBuffer,
  [outer, len, inner, chunk, parts]: readonly number[],
): void {
  x.gpu.dispatch(reduceKernel, {
    constants: { MODE: mode },
    params: new Params().u32(outer, len, inner, chunk, parts),
    resources: [src, other, dst],
    workgroups: linearGrid(x.gpu, outer * parts * inner),
  });
}

/** Records `out[r] = Σ_j x[r, j]` over the last axis. */
export function sumLastAxis(x: Tensor, out: Tensor): void {
  reduce("sum", "last", x, out);
}

/** Records `out[r] = Σ_j x[r, j]²` over the last axis. */
export function sumSquaresLastAxis(x: Tensor, out: Tensor): void {
  reduce("sumsq", "last", x, out);
}

/** Records column sums `out[j] = Σ_r x[r, j]` over all leading axes (e.g. RMSNorm weight grads). */
export function sumLeadingAxes(x: Tensor, out: Tensor): void {
  reduce("sum", "leading", x, out);
}

/** Records `out[0] = Σ x`. */
export function sumAll(x: Tensor, out: Tensor): void {
  reduce("sum", "all", x, out);
}

/** Records `out[0] = Σ x²`. */
export function sumSquaresAll(x: Tensor, out: Tensor): void {
  reduce("sumsq", "all", x, out);
}

/** Records `out[0] = Σ x·y` over all elements. */
export function dot(x: Tensor, y: Tensor, out: Tensor): void {
  reduce("dot", "all", x, out, y);
}

/** Records row-wise dot products `out[r] = Σ_j x[r, j]·y[r, j]` over the last axis. */
export function dotLastAxis(x: Tensor, y: Tensor, out: Tensor): void {
  reduce("dot", "last", x, out, y);
}
