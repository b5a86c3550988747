import { type LlamaConfig, parseLlamaConfig } from "../../engine/model/mod.ts";
import type { ModelSettings } from "../schema/model_schema.ts";

/**
 * The Hugging Face `config.json` object of a manifest's model shape.
 *
 * @param model The setup's model settings.
 * @param vocabSize Tokenizer vocabulary size.
 * @returns A plain object in HF `LlamaConfig` field names.
 */
export function hfConfigFor(model: ModelSettings, vocabSize: number): Record<string, unknown> {
  return {
    hidden_size: model.hiddenSize,
    intermediate_size: model.intermediateSize,
    num_hidden_layers: model.layers,
    num_attention_heads: model.heads,
    num_key_value_heads: model.kvHeads,
    max_position_embeddings: model.contextLength,
    rope_theta: model.ropeTheta,
    rms_norm_eps: model.rmsNormEps,
    tie_word_embeddings: model.tieEmbeddings,
    vocab_size: vocabSize,
  };
}

/**
 * The engine's model configuration for a manifest's model shape.
 *
 * @param model The setup's model settings.
 * @param vocabSize Tokenizer vocabulary size.
 * @returns The validated configuration.
 */
export function llamaConfigFor(model: ModelSettings, vocabSize: number): LlamaConfig {
  return parseLlamaConfig(hfConfigFor(model, vocabSize));
}
