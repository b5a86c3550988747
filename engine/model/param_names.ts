/**
 * Hugging Face parameter names of a Llama model.
 *
 * @module
 */

/** Token embedding, [V, D] row-major: row v is token v's vector. */
export const EMBED_TOKENS = "model.embed_tokens.weight";
/** Final RMSNorm gain, [D]. */
export const FINAL_NORM = "model.norm.weight";
/** Output projection, [V, D] ([out, in], as every HF Linear weight); absent when tied. */
export const LM_HEAD = "lm_head.weight";

/** The seven linear layers of a decoder block, in forward order. */
export const BLOCK_LINEARS = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;

/** One of {@linkcode BLOCK_LINEARS}. */
export type BlockLinear = typeof BLOCK_LINEARS[number];

const LINEAR_MODULE: Readonly<Record<BlockLinear, "self_attn" | "mlp">> = {
  q_proj: "self_attn",
  k_proj: "self_attn",
  v_proj: "self_attn",
  o_proj: "self_attn",
  gate_proj: "mlp",
  up_proj: "mlp",
  down_proj: "mlp",
};

/**
 * Name of a decoder block's linear weight, e.g. `model.layers.0.self_attn.q_proj.weight`.
 *
 * @param layer Block index, from 0.
 * @param linear Which projection.
 * @returns The HF parameter name.
 */
export function linearName(layer: number, linear: BlockLinear): string {
  return `model.layers.${layer}.${LINEAR_MODULE[linear]}.${linear}.weight`;
}

/**
 * Name of a block's RMSNorm gain before attention, `model.layers.{i}.input_layernorm.weight`.
 *
 * @param layer Block index, from 0.
 * @returns The HF parameter name.
 */
export function inputNormName(layer: number): string {
  return `model.layers.${layer}.input_layernorm.weight`;
}

/**
 * Name of a block's RMSNorm gain before the MLP, `model.layers.{i}.post_attention_layernorm.weight`.
 *
 * @param layer Block index, from 0.
 * @returns The HF parameter name.
 */
export function postAttentionNormName(layer: number): string {
  return `model.layers.${layer}.post_attention_layernorm.weight`;
}
