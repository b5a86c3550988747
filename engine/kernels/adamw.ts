/**
 * The AdamW update of one parameter tensor against packed moment buffers, with the clip factor read
 * from a GPU buffer (no readback between gradient-norm clipping and the update).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./adamw.wgsl" with { type: "text" };
import textureSource from "./adamw_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";
import { linearGrid } from "./grid.ts";

/** The AdamW kernel. */
export const adamwKernel: Kernel = {
  name: "adamw",
  source,
  bindings: ["uniform", "read", "read", "read_write", "read_write", "read_write"],
};

/**
 * {@linkcode adamwKernel} four elements per invocation, reading grad, param and the moments from flat
 * texture copies and writing vec4 (CPU rasterisers, sizes and offset multiples of 4; the 35B proxy's
 * parameters, one step on contended llvmpipe: ≈ 58 → 33 ms); bit-identical.
 */
export const adamwTextureKernel: Kernel = {
  name: "adamw_texture",
  source: textureSource,
  bindings: [
    "uniform",
    "read",
    "texture_read",
    "texture_read",
    "texture_read",
    "texture_read",
    "read_write",
    "read_write",
    "read_write",
  ],
};

/** Per-step scalars of an AdamW update (see `adamw.wgsl`), as f64 before rounding to f32. */
export interface AdamWScalars {
  /** First-moment decay β1. */
  beta1: number;
  /** Second-moment decay β2. */
  beta2: number;
  /** Multiplier of the parameter before the step: `1 − lr·weightDecay`, or 1 without decay. */
  decay: number;
  /** `lr / (1 − β1ᵗ)`. */
  stepSize: number;
  /** `1 / √(1 − β2ᵗ)`. */
  vScale: number;
  /** ε added to the bias-corrected √v. */
  eps: number;
}

/**
 * The scalars of AdamW step `t` (1-based, as PyTorch counts) at learning rate `lr`.
 *
 * @param t Number of the step being taken, from 1.
 * @param lr Learning rate of this step.
 * @param hyper β1, β2, ε, and the weight decay applied to this tensor (0 for none).
 * @returns The scalars {@linkcode adamwUpdate} takes.
 * @throws {RangeError} When `t` is not a positive integer.
 * @example
 * ```ts
 * import { adamwScalars } from "./adamw.ts";
 * const s = adamwScalars(1, 0.1, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
 * console.assert(Math.abs(s.stepSize - 1) < 1e-12 && s.decay === 0.95);
 * ```
 */
export function adamwScalars(
  t: number,
  lr: number,
  hyper: { beta1: number; beta2: number; eps: number; weightDecay: number },
): AdamWScalars {
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`AdamW step must be a positive integer, got ${t}`);
  return {
    beta1: hyper.beta1,
    beta2: hyper.beta2,
    decay: 1 - lr * hyper.weightDecay,
    stepSize: lr / (1 - hyper.beta1 ** t),
    vScale: 1 / Math.sqrt(1 - hyper.beta2 ** t),
    eps: hyper.eps,
  };
}

/**
 * Records one AdamW update of `param` in place, updating its moments `m[offset…]`, `v[offset…]`. On
 * software adapters, when the size and offset are multiples of 4, four elements per invocation from flat
 * texture copies ({@linkcode adamwTextureKernel}, bit-identical).
 *
 * @param param Parameter (f32), updated in place.
 * @param grad Its gradient (f32, same size), scaled by `stats[1]` before use.
 * @param m Packed first moments (f32); elements `offset … offset + param.size − 1` belong to `param`.
 * @param v Packed second moments, same layout as `m`.
 * @param offset First element of `param`'s moments.
 * @param stats Clip statistics `[norm, clip]` (f32, at least 2 elements), e.g. from `gradClipFactor`.
 * @param s Step scalars from {@linkcode adamwScalars}.
 * @param scalar Take {@linkcode adamwKernel} even where {@linkcode adamwTextureKernel} applies (tests).
 * @throws {RangeError} When sizes or the offset do not fit.
 * @throws {TypeError} When a tensor is not f32 or two of them share a buffer.
 */
export function adamwUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  offset: number,
  stats: Tensor,
  s: AdamWScalars,
  scalar = false,
): void {
  const all = [param, grad, m, v, stats];
  if (all.some((t) => t.dtype !== "f32")) throw new TypeError("adamwUpdate: tensors must be f32");
  if (new Set(all.map((t) => t.buffer)).size !== all.length) {
    throw new TypeError("adamwUpdate: param, grad, m, v and stats must be distinct buffers");
  }
  if (grad.size !== param.size) {
    throw new RangeError(`adamwUpdate: grad has ${grad.size} elements, param has ${param.size}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + param.size > Math.min(m.size, v.size)) {
    throw new RangeError(
      `adamwUpdate: moments [${offset}, ${offset + param.size}) exceed m (${m.size}) or v (${v.size})`,
    );
  }
  if (stats.size < 2) throw new RangeError(`adamwUpdate: stats needs 2 elements, got ${stats.size}`);
  if (param.size === 0) return;
  const gpu = param.gpu;
  if (gpu.software && !scalar && param.size % 4 === 0 && offset % 4 === 0) {
    gpu.dispatch(adamwTextureKernel, {
      params: new Params().u32(param.size / 4, offset / 4).f32(
        s.beta1,
        s.beta2,
        s.decay,
        s.stepSize,
        s.vScale,
        s.eps,
      ),
      resources: [
        stats.buffer,
        flatTexture(gpu, "adamw-grad", grad.buffer, grad.size),
        flatTexture(gpu, "adamw-param", param.buffer, param.size),
        flatTexture(gpu, "adamw-m", m.buffer, param.size, offset),
        flatTexture(gpu, "adamw-v", v.buffer, param.size, offset),
        param.buffer,
        m.buffer,
        v.buffer,
      ],
      workgroups: linearGrid(gpu, param.size / 4),
    });
    return;
  }
  gpu.dispatch(adamwKernel, {
    params: new Params().u32(param.size, offset).f32(s.beta1, s.beta2, s.decay, s.stepSize, s.vScale, s.eps),
    resources: [stats.buffer, grad.buffer, param.buffer, m.buffer, v.buffer],
    workgroups: linearGrid(gpu, param.size),
  });
}
