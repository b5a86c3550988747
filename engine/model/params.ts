/**
 * The parameter layout of a Llama model: HF names, shapes and counts.
 *
 * @module
 */

import type { LlamaConfig } from "./config.ts";
import {
  BLOCK_LINEARS,
  type BlockLinear,
  EMBED_TOKENS,
  FINAL_NORM,
  inputNormName,
  linearName,
  LM_HEAD,
  postAttentionNormName,
} from "./param_names.ts";

/** One parameter tensor: HF name, shape (row-major; linear weights are [out, in]) and role. */
export interface ParamSpec {
  /** HF name, e.g. `model.layers.0.mlp.up_proj.weight`. */
  name: string;
  /** Dimensions. */
  shape: number[];
  /** `embedding` and `linear` are initialised normal(0, std), `norm` gains to 1. */
  kind: "embedding" | "linear" | "norm";
}

/**
 * Parameters by HF name. Each array is row-major with the shape of its {@linkcode ParamSpec}; when
 * the embeddings are tied there is no `lm_head.weight` entry (the embedding serves as lm_head).
 */
export type LlamaParams<T extends Float32Array | Float64Array = Float32Array> = Map<string, T>;

/**
 * Input and output widths of a block's linear layer; its weight is [out, in].
 *
 * @param config The model configuration.
 * @param linear Which projection.
 * @returns `[out, in]`.
 */
export function linearShape(config: LlamaConfig, linear: BlockLinear): [number, number] {
  const { hiddenSize: d, intermediateSize: inter, headDim: hd } = config;
  switch (linear) {
    case "q_proj":
      return [config.numAttentionHeads * hd, d];
    case "k_proj":
    case "v_proj":
      return [config.numKeyValueHeads * hd, d];
    case "o_proj":
      return [d, config.numAttentionHeads * hd];
    case "gate_proj":
    case "up_proj":
      return [inter, d];
    case "down_proj":
      return [d, inter];
  }
}

/**
 * Every parameter in HF module order: embedding; per block the input norm, q, k, v, o, the
 * post-attention norm, gate, up, down; final norm; `lm_head.weight` unless tied.
 *
 * @param config The model configuration.
 * @returns The specs, one per stored tensor.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "./config.ts";
 * import { paramSpecs } from "./params.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2,
 *   num_key_value_heads: 1, vocab_size: 11,
 * });
 * assert.deepEqual(paramSpecs(config).find((s) => s.name.endsWith("k_proj.weight"))?.shape, [4, 8]);
 * ```
 */
export function paramSpecs(config: LlamaConfig): ParamSpec[] {
  const d = config.hiddenSize;
  const specs: ParamSpec[] = [{ name: EMBED_TOKENS, shape: [config.vocabSize, d], kind: "embedding" }];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    specs.push({ name: inputNormName(layer), shape: [d], kind: "norm" });
    for (const linear of BLOCK_LINEARS) {
      if (linear === "gate_proj") {
        specs.push({ name: postAttentionNormName(layer), shape: [d], kind: "norm" });
      }
      specs.push({ name: linearName(layer, linear), shape: linearShape(config, linear), kind: "linear" });
    }
  }
  specs.push({ name: FINAL_NORM, shape: [d], kind: "norm" });
  if (!config.tieWordEmbeddings) specs.push({ name: LM_HEAD, shape: [config.vocabSize, d], kind: "linear" });
  return specs;
}

/**
 * Number of distinct parameters (tied embeddings counted once), as HF `num_parameters()`.
 *
 * @param config The model configuration.
 * @returns The total element count over {@linkcode paramSpecs}.
 */
export function paramCount(config: LlamaConfig): number {
  return paramSpecs(config).reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * The weight that computes the logits: `lm_head.weight`, or the embedding when tied.
 *
 * @param config The model configuration.
 * @param params Parameters laid out as {@linkcode paramSpecs}.
 * @returns The [V, D] weight.
 * @throws {RangeError} When the weight is missing.
 */
export function lmHeadWeight<T extends Float32Array | Float64Array>(
  config: LlamaConfig,
  params: LlamaParams<T>,
): T {
  const name = config.tieWordEmbeddings ? EMBED_TOKENS : LM_HEAD;
  const weight = params.get(name);
  if (weight === undefined) throw new RangeError(`Missing parameter "${name}"`);
  return weight;
}

/**
 * Checks that `params` holds exactly the tensors of {@linkcode paramSpecs} with matching lengths.
 *
 * @param config The model configuration.
 * @param params Parameters to check.
 * @param what What the parameters are, for messages (e.g. `"Cannot save checkpoint"`).
 * @throws {RangeError} Naming the first missing, unexpected or wrongly sized tensor.
 */
export function assertParamLayout(
  config: LlamaConfig,
  params: ReadonlyMap<string, Float32Array | Float64Array>,
  what: string,
): void {
  const specs = paramSpecs(config);
  for (const spec of specs) {
    const tensor = params.get(spec.name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (tensor === undefined) throw new RangeError(`${what}: parameter "${spec.name}" is missing`);
    if (tensor.length !== size) {
      throw new RangeError(
        `${what}: parameter "${spec.name}" has ${tensor.length} values, expected ${size} for shape [${spec.shape}]`,
      );
    }
  }
  const known = new Set(specs.map((spec) => spec.name));
  for (const name of params.keys()) {
    if (!known.has(name)) throw new RangeError(`${what}: unexpected parameter "${name}"`);
  }
}

/**
 * Copies parameters into float64 (for the CPU reference) or float32 (for the GPU engine and files).
 *
 * @param params Parameters of either precision.
 * @param to Target array class.
 * @returns Fresh arrays, same names and order.
 */
export function castParams<T extends Float32Array | Float64Array>(
  params: ReadonlyMap<string, Float32Array | Float64Array>,
  to: { new (values: ArrayLike<number>): T },
): LlamaParams<T> {
  return new Map([...params].map(([name, values]) => [name, new to(values)]));
}
