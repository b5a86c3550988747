/**
 * Float64 reference forward pass of a Llama model, keeping every activation the backward pass and
 * the EK-FAC layer records need.
 *
 * @module
 */

import type { LlamaConfig } from "../model/config.ts";
import {
  EMBED_TOKENS,
  FINAL_NORM,
  inputNormName,
  linearName,
  postAttentionNormName,
} from "../model/param_names.ts";
import { assertParamLayout, type LlamaParams, lmHeadWeight } from "../model/params.ts";
import { attentionForward } from "./attention.ts";
import { embeddingForward } from "./embedding.ts";
import { linearForward } from "./linear.ts";
import { rmsNormForward } from "./rmsnorm.ts";
import { ropeForward, ropeTables } from "./rope.ts";
import { ropeInverseFrequencies } from "../model/rope_frequencies.ts";
import { swigluForward } from "./swiglu.ts";

/** Token ids of B sequences of equal length T; token t of a sequence has position t. */
export interface TokenBatch {
  /** Ids, [batch, seqLen] row-major. */
  ids: Int32Array;
  /** Sequences B. */
  batch: number;
  /** Tokens per sequence T. */
  seqLen: number;
}

/** Activations of one decoder block; every array has rows = tokens (b, t) row-major, N = B·T. */
export interface BlockActivations {
  /** Block input (residual stream), [N, D]. */
  x: Float64Array;
  /** input_layernorm output [N, D] (the input of q, k, v_proj) and its invRms [N]. */
  norm1: { y: Float64Array; invRms: Float64Array };
  /** q_proj output before RoPE, [N, H·hd]. */
  q: Float64Array;
  /** k_proj output before RoPE, [N, KV·hd]. */
  k: Float64Array;
  /** v_proj output, [N, KV·hd]. */
  v: Float64Array;
  /** q after RoPE, [N, H·hd]. */
  qRot: Float64Array;
  /** k after RoPE, [N, KV·hd]. */
  kRot: Float64Array;
  /** Attention output [N, H·hd] (the input of o_proj) and probabilities [B, H, T, T]. */
  attention: { out: Float64Array; probs: Float64Array };
  /** Residual stream after attention, x + o_proj(out), [N, D]. */
  mid: Float64Array;
  /** post_attention_layernorm output [N, D] (the input of gate and up_proj) and its invRms [N]. */
  norm2: { y: Float64Array; invRms: Float64Array };
  /** gate_proj output, [N, I]. */
  gate: Float64Array;
  /** up_proj output, [N, I]. */
  up: Float64Array;
  /** silu(gate)·up, [N, I] (the input of down_proj). */
  act: Float64Array;
}

/** Everything {@linkcode llamaForward} computed. */
export interface LlamaActivations {
  /** The input. */
  tokens: TokenBatch;
  /** RoPE tables, each [T, hd]. */
  rope: { cos: Float64Array; sin: Float64Array };
  /** Per block, in order. */
  blocks: BlockActivations[];
  /** Residual stream after the last block, [N, D]. */
  final: Float64Array;
  /** Final norm output [N, D] (the input of lm_head) and its invRms [N]. */
  finalNorm: { y: Float64Array; invRms: Float64Array };
  /** Logits, [N, V]; row (b, t) predicts the token after position t. */
  logits: Float64Array;
}

/**
 * Runs the model: embed; per block x += o_proj(attn(rope(q), rope(k), v)) on input_layernorm(x),
 * then x += down_proj(silu(gate_proj(n))·up_proj(n)) with n = post_attention_layernorm(x); final
 * norm; lm_head (the embedding when tied).
 *
 * @param config The model configuration.
 * @param params Float64 parameters laid out as {@link ../model/params.ts paramSpecs}.
 * @param tokens Token ids.
 * @returns All activations, including the logits.
 * @throws {RangeError} When a parameter is missing or misshapen or a token id is out of range.
 */
export function llamaForward(
  config: LlamaConfig,
  params: LlamaParams<Float64Array>,
  tokens: TokenBatch,
): LlamaActivations {
  assertParamLayout(config, params, "llamaForward()");
  const { batch, seqLen } = tokens;
  const n = batch * seqLen;
  const d = config.hiddenSize, hd = config.headDim, heads = config.numAttentionHeads;
  const kvHeads = config.numKeyValueHeads, inter = config.intermediateSize, eps = config.rmsNormEps;
  if (tokens.ids.length !== n) {
    throw new RangeError(`llamaForward(): ids has ${tokens.ids.length} values, expected batch·seqLen = ${n}`);
  }
  const p = (name: string) => params.get(name)!;
  const rope = ropeTables(seqLen, hd, config.ropeTheta, ropeInverseFrequencies(config));
  const attentionDims = { batch, seqLen, heads, kvHeads, headDim: hd };
  let x = embeddingForward(tokens.ids, p(EMBED_TOKENS), config.vocabSize, d);
  const blocks: BlockActivations[] = [];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const w = (linear: Parameters<typeof linearName>[1]) => p(linearName(layer, linear));
    const norm1 = rmsNormForward(x, p(inputNormName(layer)), n, d, eps);
    const q = linearForward(norm1.y, w("q_proj"), n, d, heads * hd);
    const k = linearForward(norm1.y, w("k_proj"), n, d, kvHeads * hd);
    const v = linearForward(norm1.y, w("v_proj"), n, d, kvHeads * hd);
    const qRot = ropeForward(q, rope.cos, rope.sin, { batch, seqLen, heads, headDim: hd });
    const kRot = ropeForward(k, rope.cos, rope.sin, { batch, seqLen, heads: kvHeads, headDim: hd });
    const attention = attentionForward(qRot, kRot, v, attentionDims);
    const mid = add(x, linearForward(attention.out, w("o_proj"), n, heads * hd, d));
    const norm2 = rmsNormForward(mid, p(postAttentionNormName(layer)), n, d, eps);
    const gate = linearForward(norm2.y, w("gate_proj"), n, d, inter);
    const up = linearForward(norm2.y, w("up_proj"), n, d, inter);
    const act = swigluForward(gate, up);
    blocks.push({ x, norm1, q, k, v, qRot, kRot, attention, mid, norm2, gate, up, act });
    x = add(mid, linearForward(act, w("down_proj"), n, inter, d));
  }
  const finalNorm = rmsNormForward(x, p(FINAL_NORM), n, d, eps);
  const logits = linearForward(finalNorm.y, lmHeadWeight(config, params), n, d, config.vocabSize);
  return { tokens, rope, blocks, final: x, finalNorm, logits };
}

/** Elementwise sum of two equal-length arrays, in a fresh array. */
function add(a: Float64Array, b: Float64Array): Float64Array {
  const sum = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) sum[i] = a[i] + b[i];
  return sum;
}
