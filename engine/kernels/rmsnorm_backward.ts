/**
 * RMSNorm backward: the input gradient (`rmsnorm_backward.wgsl`, optionally accumulated into a
 * residual gradient; `rmsnorm_backward_vec4.wgsl`, bit-identical, when dim is a multiple of 4, see
 * {@linkcode rmsNormVec4Aligned}) and the gain gradient as deterministic column sums
 * (`rmsnorm_weight_grad.wgsl` partials over fixed row chunks, then `reduce.wgsl` over the partials).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import { reduceKernel } from "./reduce.ts";
import { rmsNormDims, rmsNormVec4Aligned } from "./rmsnorm.ts";
import source from "./rmsnorm_backward.wgsl" with { type: "text" };
import vec4Source from "./rmsnorm_backward_vec4.wgsl" with { type: "text" };
import weightSource from "./rmsnorm_weight_grad.wgsl" with { type: "text" };
import textureSource from "./rmsnorm_backward_texture.wgsl" with { type: "text" };
import weightTextureSource from "./rmsnorm_weight_grad_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";

/** Input gradient, one row per invocation (constant `ACCUMULATE`). */
export const rmsNormBackwardKernel: Kernel = {
  name: "rmsnorm_backward",
  source,
  bindings: ["uniform", "read", "read", "read", "read", "read_write"],
};

/** Input gradient, one row per invocation read and written as vec4 (constant `ACCUMULATE`). */
export const rmsNormBackwardVec4Kernel: Kernel = {
  name: "rmsnorm_backward_vec4",
  source: vec4Source,
  bindings: ["uniform", "read", "read", "read", "read", "read_write"],
};

/**
 * Input gradient reading x, w, dy and the previous dx from flat texture copies (CPU rasterisers; see
 * `flat_texture.ts`; constant `ACCUMULATE`).
 */
export const rmsNormBackwardTextureKernel: Kernel = {
  name: "rmsnorm_backward_texture",
  source: textureSource,
  bindings: ["uniform", "texture_read", "texture_read", "read", "texture_read", "texture_read", "read_write"],
};

/** Partial column sums of dy·x·inv over row chunks. */
export const rmsNormWeightGradKernel: Kernel = {
  name: "rmsnorm_weight_grad",
  source: weightSource,
  bindings: ["uniform", "read", "read", "read", "read_write"],
};

/** {@linkcode rmsNormWeightGradKernel} reading x, inv and dy from flat texture copies (CPU rasterisers). */
export const rmsNormWeightGradTextureKernel: Kernel = {
  name: "rmsnorm_weight_grad_texture",
  source: weightTextureSource,
  bindings: ["uniform", "texture_read", "texture_read", "texture_read", "read_write"],
};

/** Rows summed serially per partial of the gain gradient (raised when there would be > 1024 partials). */
const CHUNK_ROWS = 64;

/** Options of {@linkcode rmsNormBackward}. */
export interface RmsNormBackwardOptions {
  /** Add the input gradient to `dx` instead of overwriting it (default false). */
  accumulate?: boolean;
  /** Receives the gain gradient [dim] (skipped when absent). */
  dw?: Tensor;
}

/**
 * Records the gradients of RMSNorm: `dx (+)= s·w·dy − (s³/dim)·x·Σ dy·w·x` per row and
 * `dw = Σ_rows dy·x·s`.
 *
 * @param x Forward inputs, [rows, dim].
 * @param w Gain, [dim].
 * @param inv Forward inverse RMS, [rows].
 * @param dy Gradient with respect to the output, [rows, dim].
 * @param dx Receives (or accumulates) the input gradient, [rows, dim], a buffer distinct from the inputs.
 * @param options Accumulation and gain gradient.
 * @throws {RangeError} When sizes disagree.
 * @throws {TypeError} On dtypes other than f32 or aliased outputs.
 */
export function rmsNormBackward(
  x: Tensor,
  w: Tensor,
  inv: Tensor,
  dy: Tensor,
  dx: Tensor,
  options: RmsNormBackwardOptions = {},
): void {
  record(x, w, inv, dy, dx, options, true);
}

/**
 * {@linkcode rmsNormBackward} with the input gradient always on the scalar kernel, the fallback for
 * unaligned widths: only for tests and benchmarks that compare the two kernels on aligned shapes.
 * Same checks, errors and gain gradient (the gain gradient also on its buffer kernel).
 *
 * @param x Forward inputs, [rows, dim].
 * @param w Gain, [dim].
 * @param inv Forward inverse RMS, [rows].
 * @param dy Gradient with respect to the output, [rows, dim].
 * @param dx Receives (or accumulates) the input gradient, [rows, dim].
 * @param options Accumulation and gain gradient.
 */
export function rmsNormBackwardScalar(
  x: Tensor,
  w: Tensor,
  inv: Tensor,
  dy: Tensor,
  dx: Tensor,
  options: RmsNormBackwardOptions = {},
): void {
  record(x, w, inv, dy, dx, options, false);
}

function record(
  x: Tensor,
  w: Tensor,
  inv: Tensor,
  dy: Tensor,
  dx: Tensor,
  options: RmsNormBackwardOptions,
  vec4: boolean,
): void {
  const [rows, dim] = rmsNormDims("rmsNormBackward", x, w, inv);
  const { dw, accumulate = false } = options;
  if (dy.size !== x.size || dx.size !== x.size) {
    throw new RangeError(`rmsNormBackward: dy and dx must have ${x.size} elements`);
  }
  if (dw !== undefined && dw.size !== dim) {
    throw new RangeError(`rmsNormBackward: dw must have ${dim} elements, got ${dw.size}`);
  }
  const inputs = [x.buffer, w.buffer, inv.buffer, dy.buffer];
  if (inputs.includes(dx.buffer) || (dw !== undefined && [...inputs, dx.buffer].includes(dw.buffer))) {
    throw new TypeError("rmsNormBackward: dx and dw must not share a buffer with an input or each other");
  }
  const gpu = x.gpu;
  if (rows > 0 && vec4 && rmsNormVec4Aligned(dim) && gpu.software) {
    const xt = flatTexture(gpu, "rmsnorm-x", x.buffer, x.size);
    gpu.dispatch(rmsNormBackwardTextureKernel, {
      constants: { ACCUMULATE: accumulate },
      params: new Params().u32(rows, dim),
      resources: [
        xt,
        flatTexture(gpu, "rmsnorm-w", w.buffer, dim),
        inv.buffer,
        flatTexture(gpu, "rmsnorm-dy", dy.buffer, dy.size),
        accumulate ? flatTexture(gpu, "rmsnorm-dx", dx.buffer, dx.size) : xt,
        dx.buffer,
      ],
      workgroups: linearGrid(gpu, rows),
    });
  } else if (rows > 0) {
    gpu.dispatch(vec4 && rmsNormVec4Aligned(dim) ? rmsNormBackwardVec4Kernel : rmsNormBackwardKernel, {
      constants: { ACCUMULATE: accumulate },
      params: new Params().u32(rows, dim),
      resources: [x.buffer, w.buffer, inv.buffer, dy.buffer, dx.buffer],
      workgroups: linearGrid(gpu, rows),
    });
  }
  if (dw === undefined) return;
  if (rows === 0) {
    gpu.clearBuffer(dw.buffer, 0, dw.byteLength);
    return;
  }
  const chunk = Math.max(CHUNK_ROWS, Math.ceil(rows / 1024));
  const parts = Math.ceil(rows / chunk);
  const partial = gpu.scratchBuffer("rmsnorm-weight-grad", parts * dim * 4);
  if (vec4 && gpu.software && x.size % 4 === 0) {
    gpu.dispatch(rmsNormWeightGradTextureKernel, {
      params: new Params().u32(rows, dim, chunk, parts),
      resources: [
        flatTexture(gpu, "rmsnorm-x", x.buffer, x.size),
        flatTexture(gpu, "rmsnorm-inv", inv.buffer, Math.ceil(rows / 4) * 4),
        flatTexture(gpu, "rmsnorm-dy", dy.buffer, dy.size),
        partial,
      ],
      workgroups: linearGrid(gpu, parts * dim),
    });
  } else {
    gpu.dispatch(rmsNormWeightGradKernel, {
      params: new Params().u32(rows, dim, chunk, parts),
      resources: [x.buffer, inv.buffer, dy.buffer, partial],
      workgroups: linearGrid(gpu, parts * dim),
    });
  }
  // reduce.wgsl over the [1, parts, dim] view: out[j] = Σ_q partial[q, j] in increasing q.
  gpu.dispatch(reduceKernel, {
    constants: { MODE: 0 },
    params: new Params().u32(1, parts, dim, parts, 1),
    resources: [partial, partial, dw.buffer],
    workgroups: linearGrid(gpu, dim),
  });
}
