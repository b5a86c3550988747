/**
 * Float64 reference backward pass of a Llama model (manual backpropagation), with per-token records
 * of every linear layer's inputs and output gradients for EK-FAC.
 *
 * @module
 */

import type { LlamaConfig } from "../model/config.ts";
import {
  BLOCK_LINEARS,
  type BlockLinear,
  EMBED_TOKENS,
  FINAL_NORM,
  inputNormName,
  linearName,
  LM_HEAD,
  postAttentionNormName,
} from "../model/param_names.ts";
import { type LlamaParams, lmHeadWeight, paramSpecs } from "../model/params.ts";
import { assertLength } from "./assert_length.ts";
import { attentionBackward } from "./attention.ts";
import { embeddingBackward } from "./embedding.ts";
import { linearBackward } from "./linear.ts";
import type { LlamaActivations } from "./llama_forward.ts";
import { rmsNormBackward } from "./rmsnorm.ts";
import { ropeBackward } from "./rope.ts";
import { swigluBackward } from "./swiglu.ts";

/**
 * Per-token record of one linear layer y = W a (W [out, in]): rows are tokens (b, t) row-major, so
 * rows b·T … b·T + T − 1 are sequence b. Σ_rows g aᵀ is the layer's weight gradient. The arrays are
 * shared with the activations (and `dLogits` for lm_head): read them, do not modify them.
 */
export interface LinearRecord {
  /** Layer inputs a, [rows, inDim]. */
  a: Float64Array;
  /** Gradients of the differentiated scalar with respect to the layer outputs, g, [rows, outDim]. */
  g: Float64Array;
  /** Tokens B·T. */
  rows: number;
  /** Input width M. */
  inDim: number;
  /** Output width P. */
  outDim: number;
}

/** Options of {@linkcode llamaBackward}. */
export interface LlamaBackwardOptions {
  /** Which linear layers to record, by weight name (`lm_head.weight` even when tied); all by default. */
  record?: (weightName: string) => boolean;
}

/** Result of {@linkcode llamaBackward}. */
export interface LlamaGradients {
  /** Gradient of every parameter, same names and shapes as the parameters (tied: one embedding gradient). */
  grads: LlamaParams<Float64Array>;
  /** Records of the selected linear layers, by weight name, in forward order. */
  records: Map<string, LinearRecord>;
}

/**
 * Backpropagates an output gradient through the model.
 *
 * @param config The model configuration.
 * @param params The parameters given to {@link ./llama_forward.ts llamaForward}.
 * @param acts The activations it returned.
 * @param dLogits Gradient of a scalar with respect to the logits, [B·T, V] (e.g. from
 * {@link ./cross_entropy.ts crossEntropyBackward}).
 * @param options Which layers to record.
 * @returns Parameter gradients and linear-layer records.
 * @throws {RangeError} When `dLogits` has the wrong length.
 */
export function llamaBackward(
  config: LlamaConfig,
  params: LlamaParams<Float64Array>,
  acts: LlamaActivations,
  dLogits: Float64Array,
  options: LlamaBackwardOptions = {},
): LlamaGradients {
  const { batch, seqLen, ids } = acts.tokens;
  const n = batch * seqLen, d = config.hiddenSize, vocab = config.vocabSize, inter = config.intermediateSize;
  const heads = config.numAttentionHeads, kvHeads = config.numKeyValueHeads, hd = config.headDim;
  assertLength("llamaBackward()", "dLogits", dLogits, { rows: n, vocab });
  const attentionDims = { batch, seqLen, heads, kvHeads, headDim: hd };
  const queryDims = { batch, seqLen, heads, headDim: hd };
  const keyDims = { batch, seqLen, heads: kvHeads, headDim: hd };
  const p = (name: string) => params.get(name)!;
  const grads: LlamaParams<Float64Array> = new Map();
  const recorded: [string, LinearRecord][] = [];
  const shouldRecord = options.record ?? (() => true);
  /** Backward of one linear layer; stores dW and the record, returns dx. */
  const linear = (
    name: string,
    w: Float64Array,
    a: Float64Array,
    g: Float64Array,
    inDim: number,
    outDim: number,
  ) => {
    const { dx, dw } = linearBackward(a, w, g, n, inDim, outDim);
    grads.set(name, dw);
    if (shouldRecord(name)) recorded.push([name, { a, g, rows: n, inDim, outDim }]);
    return dx;
  };

  const dFinalNorm = linear(LM_HEAD, lmHeadWeight(config, params), acts.finalNorm.y, dLogits, d, vocab);
  const finalNorm = rmsNormBackward(acts.final, p(FINAL_NORM), acts.finalNorm.invRms, dFinalNorm, n, d);
  grads.set(FINAL_NORM, finalNorm.dw);
  let dx = finalNorm.dx;
  for (let layer = config.numHiddenLayers - 1; layer >= 0; layer--) {
    const blk = acts.blocks[layer];
    const lin = (kind: BlockLinear, a: Float64Array, g: Float64Array, inDim: number, outDim: number) =>
      linear(linearName(layer, kind), p(linearName(layer, kind)), a, g, inDim, outDim);
    // MLP: out = mid + down(silu(gate(n2))·up(n2)), n2 = norm2(mid).
    const dAct = lin("down_proj", blk.act, dx, inter, d);
    const { dGate, dUp } = swigluBackward(blk.gate, blk.up, dAct);
    const dNorm2 = addInto(
      lin("up_proj", blk.norm2.y, dUp, d, inter),
      lin("gate_proj", blk.norm2.y, dGate, d, inter),
    );
    const norm2 = rmsNormBackward(blk.mid, p(postAttentionNormName(layer)), blk.norm2.invRms, dNorm2, n, d);
    grads.set(postAttentionNormName(layer), norm2.dw);
    const dMid = addInto(norm2.dx, dx);
    // Attention: mid = x + o(attn(rope(q(n1)), rope(k(n1)), v(n1))), n1 = norm1(x).
    const dAttnOut = lin("o_proj", blk.attention.out, dMid, heads * hd, d);
    const attention = attentionBackward(
      blk.qRot,
      blk.kRot,
      blk.v,
      blk.attention.probs,
      dAttnOut,
      attentionDims,
    );
    const dq = ropeBackward(attention.dq, acts.rope.cos, acts.rope.sin, queryDims);
    const dk = ropeBackward(attention.dk, acts.rope.cos, acts.rope.sin, keyDims);
    const dNorm1 = lin("v_proj", blk.norm1.y, attention.dv, d, kvHeads * hd);
    addInto(dNorm1, lin("k_proj", blk.norm1.y, dk, d, kvHeads * hd));
    addInto(dNorm1, lin("q_proj", blk.norm1.y, dq, d, heads * hd));
    const norm1 = rmsNormBackward(blk.x, p(inputNormName(layer)), blk.norm1.invRms, dNorm1, n, d);
    grads.set(inputNormName(layer), norm1.dw);
    dx = addInto(norm1.dx, dMid);
  }
  const dEmbed = embeddingBackward(ids, dx, vocab, d);
  if (config.tieWordEmbeddings) {
    addInto(dEmbed, grads.get(LM_HEAD)!);
    grads.delete(LM_HEAD);
  }
  grads.set(EMBED_TOKENS, dEmbed);
  const ordered: LlamaParams<Float64Array> = new Map(
    paramSpecs(config).map((s) => [s.name, grads.get(s.name)!]),
  );
  return { grads: ordered, records: new Map(recorded.sort(([a], [b]) => forwardRank(a) - forwardRank(b))) };
}

/** a += b elementwise; returns a. */
function addInto(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

/** Position of a linear layer in forward order (blocks by index, then q..down, then lm_head). */
function forwardRank(name: string): number {
  const match = /^model\.layers\.(\d+)\.\w+\.(\w+)\.weight$/.exec(name);
  if (match === null) return Infinity;
  return Number(match[1]) * BLOCK_LINEARS.length + BLOCK_LINEARS.indexOf(match[2] as BlockLinear);
}
