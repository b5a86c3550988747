/**
 * Seeded initialisation of Llama parameters, as Hugging Face `LlamaPreTrainedModel._init_weights`.
 *
 * @module
 */

import type { LlamaConfig } from "./config.ts";
import { type LlamaParams, paramSpecs } from "./params.ts";
import { Rng } from "./prng.ts";

/**
 * Fresh parameters: embedding and linear weights drawn from normal(0, `config.initializerRange`),
 * RMSNorm gains set to 1. Each tensor draws from its own stream `(seed, name)`, so a tensor's values
 * depend only on the seed, its name and its size, not on the other tensors.
 *
 * @param config The model configuration.
 * @param seed A non-negative safe integer.
 * @returns Float32 parameters laid out as {@linkcode paramSpecs}.
 * @throws {RangeError} When `seed` is not a non-negative safe integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "./config.ts";
 * import { initParams } from "./init_params.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 11,
 * });
 * assert.deepEqual(initParams(config, 1).get("model.norm.weight"), new Float32Array(8).fill(1));
 * ```
 */
export function initParams(config: LlamaConfig, seed: number): LlamaParams<Float32Array> {
  const params: LlamaParams<Float32Array> = new Map();
  for (const spec of paramSpecs(config)) {
    const values = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.kind === "norm") {
      values.fill(1);
    } else {
      const rng = new Rng(seed, spec.name);
      for (let i = 0; i < values.length; i++) values[i] = config.initializerRange * rng.nextNormal();
    }
    params.set(spec.name, values);
  }
  return params;
}
