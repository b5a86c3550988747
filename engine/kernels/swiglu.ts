/**
 * SwiGLU activation `silu(gate) · up` on the fused gate/up projection output, and its gradient:
 * `swiglu_vec4.wgsl` / `swiglu_backward_vec4.wgsl` when inter is a multiple of 4 (see
 * {@linkcode swigluVec4Aligned}), `swiglu.wgsl` / `swiglu_backward.wgsl` otherwise; both give
 * bit-identical results.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./swiglu.wgsl" with { type: "text" };
import backwardSource from "./swiglu_backward.wgsl" with { type: "text" };
import backwardVec4Source from "./swiglu_backward_vec4.wgsl" with { type: "text" };
import vec4Source from "./swiglu_vec4.wgsl" with { type: "text" };
import textureSource from "./swiglu_texture.wgsl" with { type: "text" };
import backwardTextureSource from "./swiglu_backward_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";

/** SwiGLU forward, one element per invocation. */
export const swigluKernel: Kernel = { name: "swiglu", source, bindings: ["uniform", "read", "read_write"] };

/** SwiGLU backward, one (row, i) per invocation. */
export const swigluBackwardKernel: Kernel = {
  name: "swiglu_backward",
  source: backwardSource,
  bindings: ["uniform", "read", "read", "read_write"],
};

/** SwiGLU forward, four consecutive columns (one vec4) per invocation. */
export const swigluVec4Kernel: Kernel = {
  name: "swiglu_vec4",
  source: vec4Source,
  bindings: ["uniform", "read", "read_write"],
};

/** SwiGLU forward reading gu from a flat texture copy (CPU rasterisers; see `flat_texture.ts`). */
export const swigluTextureKernel: Kernel = {
  name: "swiglu_texture",
  source: textureSource,
  bindings: ["uniform", "texture_read", "read_write"],
};

/** SwiGLU backward reading gu and dAct from flat texture copies (CPU rasterisers). */
export const swigluBackwardTextureKernel: Kernel = {
  name: "swiglu_backward_texture",
  source: backwardTextureSource,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/** SwiGLU backward, four consecutive columns (one vec4) per invocation. */
export const swigluBackwardVec4Kernel: Kernel = {
  name: "swiglu_backward_vec4",
  source: backwardVec4Source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/**
 * Whether {@linkcode swiglu} and {@linkcode swigluBackward} take the vec4 kernels: inter (the
 * activation's last dimension) is a multiple of 4, so every half-row of gu starts on a vec4 boundary.
 *
 * @param inter Intermediate width.
 * @returns True when the vec4 kernels apply.
 */
export function swigluVec4Aligned(inter: number): boolean {
  return inter % 4 === 0;
}

function dims(op: string, gu: Tensor, act: Tensor): number {
  for (const t of [gu, act]) {
    if (t.dtype !== "f32") throw new TypeError(`${op}: tensors must be f32, got ${t.dtype}`);
  }
  if (gu.size !== 2 * act.size) {
    throw new RangeError(
      `${op}: gu must have twice the ${act.size} elements of the activation, got ${gu.size}`,
    );
  }
  const inter = act.shape[act.shape.length - 1];
  if (!(inter > 0) || act.size % inter !== 0) {
    throw new RangeError(`${op}: activation shape [${act.shape}] is empty`);
  }
  return inter;
}

/**
 * Records `act[r, i] = silu(gu[r, i]) · gu[r, inter + i]`.
 *
 * @param gu Fused gate/up outputs, [rows, 2·inter] (gate columns first).
 * @param act Output, [rows, inter]; its last dimension is `inter`.
 * @throws {RangeError} When sizes disagree.
 * @throws {TypeError} On dtypes other than f32 or aliasing.
 */
export function swiglu(gu: Tensor, act: Tensor): void {
  recordForward(gu, act, true);
}

/**
 * {@linkcode swiglu} always on the scalar kernel, the fallback for unaligned widths: only for tests
 * and benchmarks that compare the two kernels on aligned shapes. Same checks and errors.
 *
 * @param gu Fused gate/up outputs, [rows, 2·inter].
 * @param act Output, [rows, inter].
 */
export function swigluScalar(gu: Tensor, act: Tensor): void {
  recordForward(gu, act, false);
}

function recordForward(gu: Tensor, act: Tensor, vec4: boolean): void {
  const inter = dims("swiglu", gu, act);
  if (gu.buffer === act.buffer) throw new TypeError("swiglu: act must not share gu's buffer");
  if (act.size === 0) return;
  if (vec4 && swigluVec4Aligned(inter) && gu.gpu.software) {
    gu.gpu.dispatch(swigluTextureKernel, {
      params: new Params().u32(act.size / 4, inter / 4),
      resources: [flatTexture(gu.gpu, "swiglu-gu", gu.buffer, gu.size), act.buffer],
      workgroups: linearGrid(gu.gpu, act.size / 4),
    });
    return;
  }
  if (vec4 && swigluVec4Aligned(inter)) {
    gu.gpu.dispatch(swigluVec4Kernel, {
      params: new Params().u32(act.size / 4, inter / 4),
      resources: [gu.buffer, act.buffer],
      workgroups: linearGrid(gu.gpu, act.size / 4),
    });
    return;
  }
  gu.gpu.dispatch(swigluKernel, {
    params: new Params().u32(act.size, inter),
    resources: [gu.buffer, act.buffer],
    workgroups: linearGrid(gu.gpu, act.size),
  });
}

/**
 * Records the gradient of {@linkcode swiglu} with respect to the fused gate/up outputs.
 *
 * @param gu Forward input, [rows, 2·inter].
 * @param dAct Gradient with respect to the activation, [rows, inter].
 * @param dGu Output, [rows, 2·inter], a buffer distinct from the inputs.
 * @throws {RangeError} When sizes disagree.
 * @throws {TypeError} On dtypes other than f32 or aliasing.
 */
export function swigluBackward(gu: Tensor, dAct: Tensor, dGu: Tensor): void {
  recordBackward(gu, dAct, dGu, true);
}

/**
 * {@linkcode swigluBackward} always on the scalar kernel, the fallback for unaligned widths: only for
 * tests and benchmarks that compare the two kernels on aligned shapes. Same checks and errors.
 *
 * @param gu Forward input, [rows, 2·inter].
 * @param dAct Gradient with respect to the activation, [rows, inter].
 * @param dGu Output, [rows, 2·inter].
 */
export function swigluBackwardScalar(gu: Tensor, dAct: Tensor, dGu: Tensor): void {
  recordBackward(gu, dAct, dGu, false);
}

function recordBackward(gu: Tensor, dAct: Tensor, dGu: Tensor, vec4: boolean): void {
  const inter = dims("swigluBackward", gu, dAct);
  if (dGu.size !== gu.size) throw new RangeError(`swigluBackward: dGu must have ${gu.size} elements`);
  if (dGu.buffer === gu.buffer || dGu.buffer === dAct.buffer) {
    throw new TypeError("swigluBackward: dGu must not share a buffer with an input");
  }
  if (dAct.size === 0) return;
  if (vec4 && swigluVec4Aligned(inter) && gu.gpu.software) {
    const gpu = gu.gpu;
    gpu.dispatch(swigluBackwardTextureKernel, {
      params: new Params().u32(dAct.size / 4, inter / 4),
      resources: [
        flatTexture(gpu, "swiglu-gu", gu.buffer, gu.size),
        flatTexture(gpu, "swiglu-dact", dAct.buffer, dAct.size),
        dGu.buffer,
      ],
      workgroups: linearGrid(gpu, dAct.size / 4),
    });
    return;
  }
  if (vec4 && swigluVec4Aligned(inter)) {
    gu.gpu.dispatch(swigluBackwardVec4Kernel, {
      params: new Params().u32(dAct.size / 4, inter / 4),
      resources: [gu.buffer, dAct.buffer, dGu.buffer],
      workgroups: linearGrid(gu.gpu, dAct.size / 4),
    });
    return;
  }
  gu.gpu.dispatch(swigluBackwardKernel, {
    params: new Params().u32(dAct.size, inter),
    resources: [gu.buffer, dAct.buffer, dGu.buffer],
    workgroups: linearGrid(gu.gpu, dAct.size),
  });
}
