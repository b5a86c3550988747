/**
 * Derived widths of a Llama model as the GPU passes lay them out.
 *
 * @module
 */
import type { LlamaConfig } from "../model/config.ts";

/** Widths of one model; the fused q|k|v projection output is [N, qkv] with q, k, v column blocks. */
export interface LlamaDims {
  /** Hidden width D. */
  d: number;
  /** SwiGLU width I. */
  inter: number;
  /** Query heads H. */
  heads: number;
  /** Key/value heads KV. */
  kvHeads: number;
  /** Head width hd. */
  hd: number;
  /** Vocabulary V. */
  vocab: number;
  /** Decoder blocks L. */
  layers: number;
  /** Query width H·hd (q columns [0, qWidth)). */
  qWidth: number;
  /** Key (and value) width KV·hd. */
  kvWidth: number;
  /** Fused projection width (H + 2·KV)·hd: k columns start at qWidth, v at qWidth + kvWidth. */
  qkv: number;
  /** RMSNorm epsilon. */
  eps: number;
}

/**
 * Widths of a configuration.
 *
 * @param config The model configuration.
 * @returns Its dimensions.
 */
export function llamaDims(config: LlamaConfig): LlamaDims {
  const hd = config.headDim, heads = config.numAttentionHeads, kvHeads = config.numKeyValueHeads;
  return {
    d: config.hiddenSize,
    inter: config.intermediateSize,
    heads,
    kvHeads,
    hd,
    vocab: config.vocabSize,
    layers: config.numHiddenLayers,
    qWidth: heads * hd,
    kvWidth: kvHeads * hd,
    qkv: (heads + 2 * kvHeads) * hd,
    eps: config.rmsNormEps,
  };
}

/**
 * The attention layout of the fused projection (see `engine/kernels/attention.ts`).
 *
 * @param dims Model widths.
 * @param batch Sequences.
 * @returns Heads and the q, k, v columns.
 */
export function attentionLayout(dims: LlamaDims, batch: number) {
  return {
    batch,
    heads: dims.heads,
    kvHeads: dims.kvHeads,
    headDim: dims.hd,
    qColumn: 0,
    kColumn: dims.qWidth,
    vColumn: dims.qWidth + dims.kvWidth,
  };
}
