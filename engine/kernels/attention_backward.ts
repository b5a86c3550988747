/**
 * Causal grouped-query attention backward: output gradients and per-row statistics into a texture
 * (`attention_stats.wgsl`), then query gradients (`attention_backward_query.wgsl`) and key/value
 * gradients (`attention_backward_key.wgsl`), each a fixed-order loop (no atomics).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { assertAttentionLayout, attentionBlock, type AttentionLayout } from "./attention.ts";
import type { AttentionTexture } from "./attention_texture.ts";
import keySource from "./attention_backward_key.wgsl" with { type: "text" };
import querySource from "./attention_backward_query.wgsl" with { type: "text" };
import keyRows4Source from "./attention_backward_key_rows4.wgsl" with { type: "text" };
import queryRows4Source from "./attention_backward_query_rows4.wgsl" with { type: "text" };
import statsSource from "./attention_stats.wgsl" with { type: "text" };
import statsTextureSource from "./attention_stats_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";
import { linearGrid } from "./grid.ts";
import { packRows } from "./texture_pack.ts";

/** Writes (lse, D = dout·out) per (b, h, i) into the gradient texture (constants `HD`, `HEADS`). */
export const attentionStatsKernel: Kernel = {
  name: "attention_stats",
  source: statsSource,
  bindings: ["uniform", "read", "read", "read", "texture_write"],
};

/** {@linkcode attentionStatsKernel} reading dOut and out from flat texture copies (CPU rasterisers). */
export const attentionStatsTextureKernel: Kernel = {
  name: "attention_stats_texture",
  source: statsTextureSource,
  bindings: ["uniform", "texture_read", "texture_read", "read", "texture_write"],
};

/** Query gradients, one row per invocation (constants `HD`, `HEADS`, `GROUP`, `ROWS`). */
export const attentionBackwardQueryKernel: Kernel = {
  name: "attention_backward_query",
  source: querySource,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/** Key and value gradients, one key per invocation (constants `HD`, `HEADS`, `GROUP`, `ROWS`). */
export const attentionBackwardKeyKernel: Kernel = {
  name: "attention_backward_key",
  source: keySource,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/** {@linkcode attentionBackwardQueryKernel} with four rows per invocation (constant `LANES` for `ROWS`). */
export const attentionBackwardQueryRows4Kernel: Kernel = {
  name: "attention_backward_query_rows4",
  source: queryRows4Source,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/** {@linkcode attentionBackwardKeyKernel} with four keys per invocation (constant `LANES` for `ROWS`). */
export const attentionBackwardKeyRows4Kernel: Kernel = {
  name: "attention_backward_key_rows4",
  source: keyRows4Source,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/**
 * Texels per row of the gradient texture: H·hd/4 for the output gradients, then H for (lse, D).
 *
 * @param heads Query heads H.
 * @param headDim Head width hd, a multiple of 4.
 * @returns The width in texels.
 */
export function gradTextureTexels(heads: number, headDim: number): number {
  return (heads * headDim) / 4 + heads;
}

/** Shapes of an {@linkcode attentionBackward} call. */
export interface AttentionBackwardOptions extends AttentionLayout {
  /** Tokens per sequence T (training: every row is a query and a key). */
  seqLen: number;
  /** Row stride of `dqkv` in elements; dq, dk, dv go to the q, k, v columns of the layout. */
  stride: number;
  /**
   * Read dOut and out from their buffers even on CPU rasterisers (which otherwise take flat texture
   * copies, bit-identical); for tests and benchmarks only.
   */
  statsBuffers?: boolean;
}

/**
 * Records the gradients of causal attention with respect to (rotated) q, k and v.
 *
 * @param qkv The forward pass's texture (rotated q, k, v of T rows per sequence).
 * @param grad Scratch texture with ≥ {@linkcode gradTextureTexels} texels, T rows, B layers.
 * @param dOut Gradient with respect to the attention output, [B·T, H·hd].
 * @param out The forward output, [B·T, H·hd].
 * @param lse The forward log-sum-exp, [B, H, T].
 * @param dqkv Receives dq, dk, dv in rows of `stride` elements at the layout's columns; other
 * columns are left unchanged.
 * @param o Shapes and layout.
 * @throws {RangeError} When a tensor or texture is too small.
 */
export function attentionBackward(
  qkv: AttentionTexture,
  grad: AttentionTexture,
  dOut: Tensor,
  out: Tensor,
  lse: Tensor,
  dqkv: Tensor,
  o: AttentionBackwardOptions,
): void {
  const { batch, seqLen: t, heads, kvHeads, headDim, stride } = o;
  assertAttentionLayout("attentionBackward", o, qkv, t);
  const width = heads * headDim, statsX = width / 4;
  if (grad.size[0] < gradTextureTexels(heads, headDim) || grad.size[1] < t || grad.size[2] < batch) {
    throw new RangeError(`attentionBackward: gradient texture [${grad.size}] is too small`);
  }
  const rows = batch * t;
  if (dOut.size !== rows * width || out.size !== rows * width || lse.size !== batch * heads * t) {
    throw new RangeError(
      `attentionBackward: dOut and out must have ${rows * width} and lse ${batch * heads * t} elements`,
    );
  }
  const lastColumn = Math.max(
    o.qColumn + width,
    o.kColumn + kvHeads * headDim,
    o.vColumn + kvHeads * headDim,
  );
  if (lastColumn > stride || rows * stride > dqkv.size) {
    throw new RangeError(
      `attentionBackward: dqkv of ${dqkv.size} elements is too small for rows of ${stride}`,
    );
  }
  if (rows === 0) return;
  const gpu = dqkv.gpu;
  const { rows: block, perLane, constants: shape } = attentionBlock(gpu, o);
  const constants = { HD: headDim, HEADS: heads, GROUP: heads / kvHeads, ...shape };
  const scale = 1 / Math.sqrt(headDim);
  packRows(dOut, grad, { layers: batch, tq: t, stride: width });
  // CPU rasterisers read dOut and out from flat texture copies (bit-identical; headDim is a multiple
  // of 4, see assertAttentionLayout).
  const textures = gpu.software && o.statsBuffers !== true;
  gpu.dispatch(textures ? attentionStatsTextureKernel : attentionStatsKernel, {
    constants: { HD: headDim, HEADS: heads },
    params: new Params().u32(t, batch * heads * t, statsX),
    resources: [
      textures ? flatTexture(gpu, "attention-dout", dOut.buffer, dOut.size) : dOut.buffer,
      textures ? flatTexture(gpu, "attention-out", out.buffer, out.size) : out.buffer,
      lse.buffer,
      grad.view,
    ],
    workgroups: linearGrid(gpu, batch * heads * t),
  });
  const [qx, kx, vx] = [o.qColumn / 4, o.kColumn / 4, o.vColumn / 4];
  gpu.dispatch(perLane === 1 ? attentionBackwardQueryKernel : attentionBackwardQueryRows4Kernel, {
    constants,
    params: new Params().u32(t, stride, o.qColumn, qx, kx, vx, statsX).f32(scale),
    resources: [qkv.view, grad.view, dqkv.buffer],
    workgroups: [Math.ceil(t / block), heads, batch],
  });
  gpu.dispatch(perLane === 1 ? attentionBackwardKeyKernel : attentionBackwardKeyRows4Kernel, {
    constants,
    params: new Params().u32(t, stride, o.kColumn, o.vColumn, qx, kx, vx, statsX).f32(scale),
    resources: [qkv.view, grad.view, dqkv.buffer],
    workgroups: [Math.ceil(t / block), kvHeads, batch],
  });
}
