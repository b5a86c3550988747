/**
 * Records the Llama backward pass from the logit gradient: weight gradients (optional), and the
 * per-token inputs and output gradients of selected linear layers (for EK-FAC).
 *
 * @module
 */
import { attentionBackward } from "../kernels/attention_backward.ts";
import type { AttentionTexture } from "../kernels/attention_texture.ts";
import { embeddingBackward } from "../kernels/embedding_backward.ts";
import { matmul } from "../kernels/matmul.ts";
import { rmsNormBackward } from "../kernels/rmsnorm_backward.ts";
import { rope } from "../kernels/rope.ts";
import { swigluBackward } from "../kernels/swiglu.ts";
import { EMBED_TOKENS, FINAL_NORM, linearName, LM_HEAD } from "../model/param_names.ts";
import type { Tensor } from "../tensor.ts";
import type { BackwardBuffers } from "./backward_buffers.ts";
import type { ForwardBuffers } from "./forward_buffers.ts";
import { attentionLayout } from "./llama_dims.ts";
import type { LlamaWeights } from "./llama_weights.ts";

/**
 * Receives a linear layer's record while the backward pass runs: its input `a` [N, in] and the
 * columns [column, column + outDim) of `g` (rows of g's last dimension) as its output gradient. The
 * tensors are overwritten later in the pass: copy what is needed.
 */
export type CaptureLinear = (name: string, a: Tensor, g: Tensor, column: number, outDim: number) => void;

/** Options of {@linkcode recordBackward}. */
export interface BackwardOptions {
  /**
   * Overwrite the weights' gradients (default true): all of them, or only those of the named linear
   * weights (block linears, and `lm_head.weight` when it is not tied; fused siblings are formed with them:
   * gate with up, q with k and v): the others keep their values and the pass stops once the named ones,
   * and the `needed` records, are formed. The gradients formed are the same bits as in a whole pass.
   */
  paramGrads?: boolean | ReadonlySet<string>;
  /** Called for each linear layer, lm_head first, then blocks from last to first. */
  capture?: CaptureLinear;
  /**
   * Without weight gradients (`paramGrads: false`) or with some only, the linear layers whose records are
   * wanted: the pass stops once all of them have been captured (and the gradients named formed), since
   * nothing below the lowest one is needed (with the default MLP-only tracking, layer 0's attention
   * backward and the input norms are skipped). Ignored when every weight gradient is produced.
   */
  needed?: ReadonlySet<string>;
}

/**
 * Records backpropagation of `g.dLogits` through the model whose activations are in `f`.
 *
 * @param w Weights (fused copies current).
 * @param ropeTable Rotation table covering the sequence.
 * @param ids Token ids of the forward pass, i32 [N].
 * @param f Forward activations (tq = T, pos0 = 0).
 * @param textures The forward pass's attention textures.
 * @param g Backward scratch; `g.dLogits` holds the gradient of the loss with respect to the logits.
 * @param options Which outputs to produce.
 */
export function recordBackward(
  w: LlamaWeights,
  ropeTable: Tensor,
  ids: Tensor,
  f: ForwardBuffers,
  textures: readonly AttentionTexture[],
  g: BackwardBuffers,
  options: BackwardOptions = {},
): void {
  const { dims } = w;
  const paramGrads = options.paramGrads ?? true;
  const all = paramGrads === true;
  const given = options.capture ?? (() => {});
  const needed = all ? undefined : options.needed;
  let missing = needed?.size ?? Infinity;
  const capture: CaptureLinear = (name, a, grad, column, outDim) => {
    if (needed?.has(name)) missing--;
    given(name, a, grad, column, outDim);
  };
  let missingGrads = typeof paramGrads === "boolean" ? 0 : paramGrads.size;
  /** Whether to form the gradient of a (fused) linear weight: counts the named ones as formed. */
  const form = (...names: string[]) => {
    if (typeof paramGrads === "boolean") return paramGrads;
    const named = names.filter((n) => paramGrads.has(n)).length;
    missingGrads -= named;
    return named > 0;
  };
  /** Whether every needed record is captured and gradient formed (so the rest of the pass can be skipped). */
  const done = () => missing <= 0 && missingGrads <= 0;
  const { batch, tq: seqLen, rows } = f;
  const layout = attentionLayout(dims, batch);
  const ropeHeads = { rows, stride: dims.qkv, offset: 0, heads: dims.heads + dims.kvHeads, headDim: dims.hd };

  capture(LM_HEAD, f.nf, g.dLogits, 0, dims.vocab);
  if (form(LM_HEAD)) matmul(g.dLogits, f.nf, w.headGrad, { transA: true });
  if (done()) return;
  matmul(g.dLogits, w.head, g.dn);
  const finalDw = all ? w.grads.get(FINAL_NORM)! : undefined;
  rmsNormBackward(f.x[dims.layers], w.finalNorm, f.invf, g.dn, g.dres, { dw: finalDw });

  for (let l = dims.layers - 1; l >= 0; l--) {
    const { params, grads, qkv, gateUp } = w.blocks[l];
    const a = f.blocks[l];
    const name = (linear: Parameters<typeof linearName>[1]) => linearName(l, linear);
    // MLP: x[l+1] = mid + down(silu(gate(n2))·up(n2)).
    capture(name("down_proj"), a.act, g.dres, 0, dims.d);
    if (form(name("down_proj"))) matmul(g.dres, a.act, grads.down, { transA: true });
    matmul(g.dres, params.down, g.dAct);
    swigluBackward(a.gu, g.dAct, g.dGu);
    capture(name("gate_proj"), a.n2, g.dGu, 0, dims.inter);
    capture(name("up_proj"), a.n2, g.dGu, dims.inter, dims.inter);
    if (form(name("gate_proj"), name("up_proj"))) {
      matmul(g.dGu, a.n2, g.gradGu, { transA: true });
      w.unstack(g.gradGu, [grads.gate, grads.up]);
    }
    if (done()) return;
    matmul(g.dGu, gateUp, g.dn);
    rmsNormBackward(a.mid, params.postNorm, a.inv2, g.dn, g.dres, {
      accumulate: true,
      dw: all ? grads.postNorm : undefined,
    });
    // Attention: mid = x + o(attn(rope(q(n1)), rope(k(n1)), v(n1))).
    capture(name("o_proj"), a.attn, g.dres, 0, dims.d);
    if (form(name("o_proj"))) matmul(g.dres, a.attn, grads.o, { transA: true });
    matmul(g.dres, params.o, g.dAttn);
    attentionBackward(textures[l], g.grad, g.dAttn, a.attn, a.lse, g.dQkv, {
      ...layout,
      seqLen,
      stride: dims.qkv,
    });
    rope(g.dQkv, ropeTable, { ...ropeHeads, tq: seqLen, direction: "backward" });
    capture(name("q_proj"), a.n1, g.dQkv, 0, dims.qWidth);
    capture(name("k_proj"), a.n1, g.dQkv, dims.qWidth, dims.kvWidth);
    capture(name("v_proj"), a.n1, g.dQkv, dims.qWidth + dims.kvWidth, dims.kvWidth);
    if (form(name("q_proj"), name("k_proj"), name("v_proj"))) {
      matmul(g.dQkv, a.n1, g.gradQkv, { transA: true });
      w.unstack(g.gradQkv, [grads.q, grads.k, grads.v]);
    }
    if (done()) return;
    matmul(g.dQkv, qkv, g.dn);
    rmsNormBackward(f.x[l], params.inputNorm, a.inv1, g.dn, g.dres, {
      accumulate: true,
      dw: all ? grads.inputNorm : undefined,
    });
  }
  if (all) {
    const embedGrad = w.grads.get(EMBED_TOKENS)!;
    embeddingBackward(ids, g.dres, embedGrad, { accumulate: w.tied });
  }
}
