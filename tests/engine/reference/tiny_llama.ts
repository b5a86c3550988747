/**
 * Test fixture: a tiny Llama (vocab 11, hidden 8, 2 heads sharing 1 key/value head, intermediate
 * 12, 2 layers) with random float64 parameters large enough to exercise every nonlinearity.
 *
 * @module
 */

import { type LlamaConfig, parseLlamaConfig } from "../../../engine/model/config.ts";
import { type LlamaParams, paramSpecs } from "../../../engine/model/params.ts";
import type { TokenBatch } from "../../../engine/reference/llama_forward.ts";
import { randomArray } from "./gradient_check.ts";

/**
 * The tiny configuration.
 *
 * @param tied Whether lm_head is the embedding.
 * @returns The configuration.
 */
export function tinyConfig(tied: boolean): LlamaConfig {
  return parseLlamaConfig({
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    rms_norm_eps: 1e-5,
    rope_theta: 100,
    tie_word_embeddings: tied,
  });
}

/**
 * Random parameters: weights normal(0, 0.4), norm gains normal(1, 0.3).
 *
 * @param config The configuration.
 * @param seed Seed.
 * @returns Float64 parameters.
 */
export function randomParams(config: LlamaConfig, seed = 11): LlamaParams<Float64Array> {
  return new Map(
    paramSpecs(config).map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = spec.kind === "norm"
        ? randomArray(seed, spec.name, size, 0.3, 1)
        : randomArray(seed, spec.name, size, 0.4);
      return [spec.name, values];
    }),
  );
}

/** Two sequences of five tokens. */
export const TOKENS: TokenBatch = {
  ids: new Int32Array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]),
  batch: 2,
  seqLen: 5,
};
