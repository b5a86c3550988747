/**
 * Records the Llama forward pass: embed; per block x += o_proj(attn(rope(q), rope(k), v)) on
 * input_layernorm(x), x += down_proj(silu(gate)·up) on post_attention_layernorm(x); final norm;
 * lm_head. About 16 dispatches per block on the software GEMM family.
 *
 * @module
 */
import { attention } from "../kernels/attention.ts";
import type { AttentionTexture } from "../kernels/attention_texture.ts";
import { embedding } from "../kernels/embedding.ts";
import { matmul } from "../kernels/matmul.ts";
import { rmsNorm } from "../kernels/rmsnorm.ts";
import { rope } from "../kernels/rope.ts";
import { swiglu } from "../kernels/swiglu.ts";
import { packRows } from "../kernels/texture_pack.ts";
import type { Tensor } from "../tensor.ts";
import type { ForwardBuffers } from "./forward_buffers.ts";
import { attentionLayout } from "./llama_dims.ts";
import type { LlamaWeights } from "./llama_weights.ts";

/**
 * Records a forward pass of `f.batch` sequences of `f.tq` tokens at positions pos0 … pos0 + tq − 1,
 * writing every activation into `f` and the rotated q, k, v rows into texture rows pos0 … of
 * `textures` (a training workspace's, or a key/value cache holding rows 0 … pos0 − 1 already).
 *
 * @param w Weights (their fused copies must be current: see `LlamaWeights.refreshFused`).
 * @param ropeTable Rotation table covering positions up to pos0 + tq − 1.
 * @param ids Token ids, i32 [B·tq].
 * @param f Activation buffers.
 * @param textures Per block attention texture.
 * @param pos0 Position of each sequence's first row.
 */
export function recordForward(
  w: LlamaWeights,
  ropeTable: Tensor,
  ids: Tensor,
  f: ForwardBuffers,
  textures: readonly AttentionTexture[],
  pos0: number,
): void {
  const { dims, gpu } = w;
  const { batch, tq, rows } = f;
  const layout = attentionLayout(dims, batch);
  embedding(ids, w.embed, f.x[0]);
  w.blocks.forEach(({ params, qkv, gateUp }, l) => {
    const a = f.blocks[l], x = f.x[l], next = f.x[l + 1];
    rmsNorm(x, params.inputNorm, dims.eps, a.n1, a.inv1);
    matmul(a.n1, qkv, a.qkv, { transB: true });
    rope(a.qkv, ropeTable, {
      rows,
      stride: dims.qkv,
      offset: 0,
      heads: dims.heads + dims.kvHeads,
      headDim: dims.hd,
      tq,
      pos0,
    });
    packRows(a.qkv, textures[l], { layers: batch, tq, y0: pos0 });
    attention(textures[l], a.attn, a.lse, { ...layout, tq, pos0 });
    gpu.copyBuffer(x.buffer, 0, a.mid.buffer, 0, x.byteLength);
    matmul(a.attn, params.o, a.mid, { transB: true, beta: 1 });
    rmsNorm(a.mid, params.postNorm, dims.eps, a.n2, a.inv2);
    matmul(a.n2, gateUp, a.gu, { transB: true });
    swiglu(a.gu, a.act);
    gpu.copyBuffer(a.mid.buffer, 0, next.buffer, 0, a.mid.byteLength);
    matmul(a.act, params.down, next, { transB: true, beta: 1 });
  });
  rmsNorm(f.x[dims.layers], w.finalNorm, dims.eps, f.nf, f.invf);
  matmul(f.nf, w.head, f.logits, { transB: true });
}
