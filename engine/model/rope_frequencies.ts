/**
 * RoPE inverse frequencies, scaled as Hugging Face transformers scales them (`linear`, `llama3`).
 *
 * @module
 */

import type { LlamaConfig } from "./config.ts";

/**
 * The inverse frequencies f_i (i < hd/2) a model rotates with, in float64: f_i = 1/θ^(2i/hd), then, for
 * `rope_scaling` type `linear`, f_i / factor (transformers' `_compute_linear_scaling_rope_parameters`);
 * for `llama3`, with wavelength w_i = 2π/f_i, L = original_max_position_embeddings: f_i / factor when
 * w_i > L/low_freq_factor, f_i when w_i < L/high_freq_factor, otherwise (1 − s)·f_i/factor + s·f_i with
 * s = (L/w_i − low_freq_factor)/(high_freq_factor − low_freq_factor) (`_compute_llama3_parameters`).
 * Both leave the attention scaling at 1.
 *
 * @param config The model configuration.
 * @returns hd/2 inverse frequencies; `null` when the model has no RoPE scaling (the engine then keeps
 * its own formula, `p / θ^(2i/hd)`, bit for bit).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "./config.ts";
 * import { ropeInverseFrequencies } from "./rope_frequencies.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 11,
 *   rope_scaling: { rope_type: "linear", factor: 4 },
 * });
 * assert.deepEqual(Array.from(ropeInverseFrequencies(config)!), [0.25, 0.25 / 100]);
 * ```
 */
export function ropeInverseFrequencies(config: LlamaConfig): Float64Array | null {
  const scaling = config.ropeScaling;
  if (scaling === undefined) return null;
  const half = config.headDim / 2;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  if (scaling.ropeType === "linear") return invFreq.map((f) => f / scaling.factor);
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldContext } = scaling;
  const lowFreqWavelen = oldContext / lowFreqFactor;
  const highFreqWavelen = oldContext / highFreqFactor;
  return invFreq.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    const scaled = wavelen > lowFreqWavelen ? f / factor : f;
    const medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (!medium) return scaled;
    const smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return ((1 - smooth) * scaled) / factor + smooth * scaled;
  });
}
