/**
 * The Llama model configuration, read from and written to Hugging Face `config.json`.
 *
 * @module
 */

/** Shape and numerical settings of a Llama-architecture model (no biases, SwiGLU, RMSNorm, RoPE). */
export interface LlamaConfig {
  /** Model width D (`hidden_size`). */
  hiddenSize: number;
  /** SwiGLU width I (`intermediate_size`). */
  intermediateSize: number;
  /** Number of decoder blocks L (`num_hidden_layers`). */
  numHiddenLayers: number;
  /** Query heads H (`num_attention_heads`). */
  numAttentionHeads: number;
  /** Key/value heads KV (`num_key_value_heads`); H is a multiple of KV (grouped-query attention). */
  numKeyValueHeads: number;
  /** Per-head width hd = D / H, even (RoPE rotates pairs). */
  headDim: number;
  /** RMSNorm epsilon, added to mean(x²) (`rms_norm_eps`). */
  rmsNormEps: number;
  /** RoPE base θ (`rope_theta`). */
  ropeTheta: number;
  /** Vocabulary size V (`vocab_size`). */
  vocabSize: number;
  /** Longest sequence the model is meant for (`max_position_embeddings`). */
  maxPositionEmbeddings: number;
  /** Whether `lm_head.weight` is `model.embed_tokens.weight` (`tie_word_embeddings`). */
  tieWordEmbeddings: boolean;
  /** Std of the normal initialisation of embeddings and linear weights (`initializer_range`). */
  initializerRange: number;
  /**
   * RoPE frequency scaling (`rope_scaling`, or transformers v5 `rope_parameters`); absent for plain RoPE.
   * See `ropeInverseFrequencies` for how each type scales the frequencies.
   */
  ropeScaling?: RopeScaling;
}

/**
 * RoPE scaling types this engine implements, as transformers names them: `linear` divides every inverse
 * frequency by `factor`; `llama3` divides the low frequencies by `factor`, keeps the high ones and
 * interpolates between (Llama 3.1).
 */
export type RopeScaling =
  | { ropeType: "linear"; factor: number }
  | {
    ropeType: "llama3";
    factor: number;
    lowFreqFactor: number;
    highFreqFactor: number;
    originalMaxPositionEmbeddings: number;
  };

const PREFIX = "Cannot read config.json";

/**
 * Reads a Hugging Face Llama `config.json` object. Absent optional fields take HF `LlamaConfig`'s
 * defaults (`num_key_value_heads` = heads, `rms_norm_eps` 1e-6, `rope_theta` 10000,
 * `max_position_embeddings` 2048, `tie_word_embeddings` false, `initializer_range` 0.02).
 *
 * @param json The parsed `config.json`.
 * @returns The validated configuration.
 * @throws {TypeError} When a field is missing, of the wrong type or out of range, or the model uses
 * a feature this harness does not implement (biases, RoPE scaling other than `linear` and `llama3`, an
 * activation other than SiLU).
 * @throws {RangeError} When the head counts and widths are inconsistent.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "./config.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, vocab_size: 11,
 * });
 * assert.deepEqual([config.headDim, config.numKeyValueHeads, config.ropeTheta], [4, 2, 10000]);
 * ```
 */
export function parseLlamaConfig(json: unknown): LlamaConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError(`${PREFIX}: expected a JSON object, got ${describe(json)}`);
  }
  const c = json as Record<string, unknown>;
  const hiddenSize = field(c, "hidden_size", POSITIVE_INT);
  const heads = field(c, "num_attention_heads", POSITIVE_INT);
  const kvHeads = field(c, "num_key_value_heads", POSITIVE_INT, { fallback: heads, nullable: true });
  const explicitHeadDim = field(c, "head_dim", POSITIVE_INT, { fallback: undefined, nullable: true });
  const ropeParameters = field(c, "rope_parameters", OBJECT, { fallback: {}, nullable: true });
  const ropeScaling = readRopeScaling(c, ropeParameters);
  field(c, "hidden_act", SILU, { fallback: "silu" });
  field(c, "attention_bias", NO_BIAS, { fallback: false });
  field(c, "mlp_bias", NO_BIAS, { fallback: false });
  const config: LlamaConfig = {
    hiddenSize,
    intermediateSize: field(c, "intermediate_size", POSITIVE_INT),
    numHiddenLayers: field(c, "num_hidden_layers", POSITIVE_INT),
    numAttentionHeads: heads,
    numKeyValueHeads: kvHeads,
    headDim: hiddenSize / heads,
    rmsNormEps: field(c, "rms_norm_eps", POSITIVE_NUMBER, { fallback: 1e-6 }),
    ropeTheta: field(c, "rope_theta", POSITIVE_NUMBER, {
      fallback: field(ropeParameters, "rope_theta", POSITIVE_NUMBER, {
        fallback: 10000,
        label: "rope_parameters.rope_theta",
      }),
    }),
    vocabSize: field(c, "vocab_size", POSITIVE_INT),
    maxPositionEmbeddings: field(c, "max_position_embeddings", POSITIVE_INT, { fallback: 2048 }),
    tieWordEmbeddings: field(c, "tie_word_embeddings", BOOLEAN, { fallback: false }),
    initializerRange: field(c, "initializer_range", POSITIVE_NUMBER, { fallback: 0.02 }),
  };
  if (ropeScaling !== null) config.ropeScaling = ropeScaling;
  checkHeads(config, explicitHeadDim);
  return config;
}

/**
 * The RoPE scaling of a config: `rope_scaling` (transformers v4; type in `rope_type` or the older `type`)
 * or, when that is absent or null, transformers v5 `rope_parameters`. Type `default` is no scaling.
 */
function readRopeScaling(
  c: Record<string, unknown>,
  ropeParameters: Record<string, unknown>,
): RopeScaling | null {
  let block: Record<string, unknown> = ropeParameters;
  let label = "rope_parameters";
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    block = field(c, "rope_scaling", OBJECT);
    label = "rope_scaling";
  }
  const typeKey = block.rope_type === undefined && block.type !== undefined ? "type" : "rope_type";
  const ropeType = field(block, typeKey, ROPE_TYPE, {
    fallback: "default" as const,
    label: `${label}.${typeKey}`,
  });
  if (ropeType === "default") return null;
  const number = (key: string, requirement: Requirement<number>) =>
    field<number>(block, key, requirement, undefined, `${label}.${key}`);
  const factor = number("factor", POSITIVE_NUMBER);
  if (ropeType === "linear") return { ropeType, factor };
  const scaling: Extract<RopeScaling, { ropeType: "llama3" }> = {
    ropeType,
    factor,
    lowFreqFactor: number("low_freq_factor", POSITIVE_NUMBER),
    highFreqFactor: number("high_freq_factor", POSITIVE_NUMBER),
    originalMaxPositionEmbeddings: number("original_max_position_embeddings", POSITIVE_INT),
  };
  if (!(scaling.highFreqFactor > scaling.lowFreqFactor)) {
    throw new RangeError(
      `${PREFIX}: ${label}.high_freq_factor=${scaling.highFreqFactor} must exceed ` +
        `${label}.low_freq_factor=${scaling.lowFreqFactor}`,
    );
  }
  return scaling;
}

function checkHeads(config: LlamaConfig, explicitHeadDim: number | undefined): void {
  const { hiddenSize, numAttentionHeads: heads, numKeyValueHeads: kvHeads, headDim } = config;
  if (hiddenSize % heads !== 0) {
    throw new RangeError(
      `${PREFIX}: hidden_size=${hiddenSize} is not a multiple of num_attention_heads=${heads}`,
    );
  }
  if (headDim % 2 !== 0) {
    throw new RangeError(
      `${PREFIX}: head dimension hidden_size/num_attention_heads = ${headDim} must be even for rotary embeddings`,
    );
  }
  if (explicitHeadDim !== undefined && explicitHeadDim !== headDim) {
    throw new RangeError(
      `${PREFIX}: head_dim=${explicitHeadDim} differs from hidden_size/num_attention_heads = ${headDim}, ` +
        "which is not supported",
    );
  }
  if (heads % kvHeads !== 0) {
    throw new RangeError(
      `${PREFIX}: num_attention_heads=${heads} is not a multiple of num_key_value_heads=${kvHeads}`,
    );
  }
}

/** A field requirement: a test and the phrase that describes it in messages. */
interface Requirement<T> {
  test: (value: unknown) => value is T;
  phrase: string;
}

const POSITIVE_INT: Requirement<number> = {
  test: (v): v is number => Number.isSafeInteger(v) && (v as number) > 0,
  phrase: "must be a positive integer",
};
const POSITIVE_NUMBER: Requirement<number> = {
  test: (v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0,
  phrase: "must be a positive number",
};
const BOOLEAN: Requirement<boolean> = {
  test: (v): v is boolean => typeof v === "boolean",
  phrase: "must be a boolean",
};
const OBJECT: Requirement<Record<string, unknown>> = {
  test: (v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v),
  phrase: "must be an object",
};
const ROPE_TYPE: Requirement<"default" | "linear" | "llama3"> = {
  test: (v): v is "default" | "linear" | "llama3" => v === "default" || v === "linear" || v === "llama3",
  phrase: 'must be "default", "linear" or "llama3" (the RoPE types supported)',
};
const SILU: Requirement<"silu"> = { test: (v): v is "silu" => v === "silu", phrase: 'must be "silu"' };
const NO_BIAS: Requirement<false> = {
  test: (v): v is false => v === false,
  phrase: "must be false (no biases are supported)",
};

/** How to read an optional field: its value when absent (or null, when `nullable`). */
interface Optional<F> {
  fallback: F;
  nullable?: boolean;
  label?: string;
}

/**
 * Reads `object[key]`, which must meet `requirement`; without `optional` the field is required,
 * otherwise an absent field gives `optional.fallback`.
 */
function field<T, F = T>(
  object: Record<string, unknown>,
  key: string,
  requirement: Requirement<T>,
  optional?: Optional<F>,
  requiredLabel?: string,
): T | F {
  const value = object[key];
  if (optional !== undefined && (value === undefined || (optional.nullable && value === null))) {
    return optional.fallback;
  }
  if (!requirement.test(value)) {
    throw new TypeError(
      `${PREFIX}: ${optional?.label ?? requiredLabel ?? key} ${requirement.phrase}, got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * Writes a `config.json` object that Hugging Face transformers' `LlamaConfig` and
 * `LlamaForCausalLM` accept, describing exactly this model in float32.
 *
 * @param config A configuration (validated again here).
 * @returns A plain JSON object; serialise it with `JSON.stringify(json, null, 2)`.
 * @throws {TypeError | RangeError} When `config` is invalid, as for {@linkcode parseLlamaConfig}.
 */
export function configToJson(config: LlamaConfig): Record<string, unknown> {
  const json = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    hidden_act: "silu",
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScalingToJson(config.ropeScaling),
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    initializer_range: config.initializerRange,
    attention_bias: false,
    attention_dropout: 0,
    mlp_bias: false,
    pretraining_tp: 1,
    use_cache: true,
    torch_dtype: "float32",
  };
  parseLlamaConfig(json);
  return json;
}

function ropeScalingToJson(scaling: RopeScaling | undefined): Record<string, unknown> | null {
  if (scaling === undefined) return null;
  if (scaling.ropeType === "linear") return { rope_type: "linear", factor: scaling.factor };
  return {
    rope_type: "llama3",
    factor: scaling.factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
  };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  return JSON.stringify(value) ?? String(value);
}
