/**
 * RMSNorm forward (HF `LlamaRMSNorm`): `y = x · inv · w` per row with
 * `inv = 1/sqrt(mean(x²) + eps)`; `rmsnorm_vec4.wgsl` when dim is a multiple of 4 (see
 * {@linkcode rmsNormVec4Aligned}), `rmsnorm.wgsl` otherwise, with bit-identical results.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./rmsnorm.wgsl" with { type: "text" };
import vec4Source from "./rmsnorm_vec4.wgsl" with { type: "text" };
import textureSource from "./rmsnorm_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";

/** RMSNorm forward, one row per invocation. */
export const rmsNormKernel: Kernel = {
  name: "rmsnorm",
  source,
  bindings: ["uniform", "read", "read", "read_write", "read_write"],
};

/** RMSNorm forward, one row per invocation read and written as vec4. */
export const rmsNormVec4Kernel: Kernel = {
  name: "rmsnorm_vec4",
  source: vec4Source,
  bindings: ["uniform", "read", "read", "read_write", "read_write"],
};

/** RMSNorm forward reading x and w from flat texture copies (CPU rasterisers; see `flat_texture.ts`). */
export const rmsNormTextureKernel: Kernel = {
  name: "rmsnorm_texture",
  source: textureSource,
  bindings: ["uniform", "texture_read", "texture_read", "read_write", "read_write"],
};

/**
 * Whether RMSNorm ({@linkcode rmsNorm} and `rmsNormBackward`'s input gradient) takes the vec4
 * kernels: dim is a multiple of 4, so every row starts on a vec4 boundary.
 *
 * @param dim Row width (the gain's size).
 * @returns True when the vec4 kernels apply.
 */
export function rmsNormVec4Aligned(dim: number): boolean {
  return dim % 4 === 0;
}

/**
 * Checks the tensors of an RMSNorm call: rows·dim inputs, a [dim] gain, [rows] inverse RMS.
 *
 * @param op Calling function, for messages.
 * @param x Inputs, [rows, dim].
 * @param w Gain, [dim].
 * @param inv Inverse RMS, [rows].
 * @returns rows and dim.
 * @throws {RangeError} When sizes disagree.
 * @throws {TypeError} When a tensor is not f32.
 */
export function rmsNormDims(op: string, x: Tensor, w: Tensor, inv: Tensor): [number, number] {
  for (const t of [x, w, inv]) {
    if (t.dtype !== "f32") throw new TypeError(`${op}: tensors must be f32, got ${t.dtype}`);
  }
  const dim = w.size;
  if (dim === 0 || x.size % dim !== 0) {
    throw new RangeError(`${op}: x has ${x.size} elements, not a multiple of the gain's ${dim}`);
  }
  const rows = x.size / dim;
  if (inv.size !== rows) throw new RangeError(`${op}: inv must have ${rows} elements, got ${inv.size}`);
  return [rows, dim];
}

/**
 * Records RMSNorm of each row of `x`.
 *
 * @param x Inputs, [rows, dim] row-major.
 * @param w Gain, [dim].
 * @param eps Added to mean(x²).
 * @param y Output, [rows, dim], a buffer distinct from x.
 * @param inv Receives 1/sqrt(mean(x²) + eps) per row, [rows].
 * @throws {RangeError} When sizes disagree.
 * @throws {TypeError} On dtypes other than f32 or aliased outputs.
 */
export function rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, inv: Tensor): void {
  record(x, w, eps, y, inv, true);
}

/**
 * {@linkcode rmsNorm} always on the scalar kernel, the fallback for unaligned widths: only for tests
 * and benchmarks that compare the two kernels on aligned shapes. Same checks and errors.
 *
 * @param x Inputs, [rows, dim] row-major.
 * @param w Gain, [dim].
 * @param eps Added to mean(x²).
 * @param y Output, [rows, dim].
 * @param inv Receives the inverse RMS per row, [rows].
 */
export function rmsNormScalar(x: Tensor, w: Tensor, eps: number, y: Tensor, inv: Tensor): void {
  record(x, w, eps, y, inv, false);
}

function record(x: Tensor, w: Tensor, eps: number, y: Tensor, inv: Tensor, vec4: boolean): void {
  const [rows, dim] = rmsNormDims("rmsNorm", x, w, inv);
  if (y.size !== x.size) throw new RangeError(`rmsNorm: y must have ${x.size} elements, got ${y.size}`);
  if ([x.buffer, w.buffer].includes(y.buffer) || [x.buffer, w.buffer, y.buffer].includes(inv.buffer)) {
    throw new TypeError("rmsNorm: y and inv must not share a buffer with an input or each other");
  }
  if (rows === 0) return;
  const gpu = x.gpu;
  if (vec4 && rmsNormVec4Aligned(dim) && gpu.software) {
    gpu.dispatch(rmsNormTextureKernel, {
      params: new Params().u32(rows, dim).f32(eps),
      resources: [
        flatTexture(gpu, "rmsnorm-x", x.buffer, x.size),
        flatTexture(gpu, "rmsnorm-w", w.buffer, dim),
        y.buffer,
        inv.buffer,
      ],
      workgroups: linearGrid(gpu, rows),
    });
    return;
  }
  x.gpu.dispatch(vec4 && rmsNormVec4Aligned(dim) ? rmsNormVec4Kernel : rmsNormKernel, {
    params: new Params().u32(rows, dim).f32(eps),
    resources: [x.buffer, w.buffer, y.buffer, inv.buffer],
    workgroups: linearGrid(x.gpu, rows),
  });
}
