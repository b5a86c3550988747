/**
 * Test fixture: tiny Llama configurations.
 *
 * @module
 */

import { type LlamaConfig, parseLlamaConfig } from "../../../engine/model/config.ts";

/**
 * Vocab 11, hidden 8, 2 heads sharing 1 key/value head, intermediate 12, 2 layers.
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
    tie_word_embeddings: tied,
  });
}
