/**
 * Loading and saving Hugging Face Llama checkpoints (`config.json` + `model.safetensors`).
 *
 * @module
 */

import { readSafetensors } from "../io/read_safetensors.ts";
import type { SafetensorsTensor } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/write_safetensors.ts";
import { configToJson, type LlamaConfig, parseLlamaConfig } from "./config.ts";
import { EMBED_TOKENS, LM_HEAD } from "./param_names.ts";
import { assertParamLayout, type LlamaParams, paramSpecs } from "./params.ts";

/** A model: configuration and float32 parameters laid out as {@linkcode paramSpecs}. */
export interface Checkpoint {
  /** The validated configuration. */
  config: LlamaConfig;
  /** Parameters by HF name; no `lm_head.weight` when the embeddings are tied. */
  params: LlamaParams<Float32Array>;
}

const PREFIX = "Cannot load checkpoint";
const FLOAT_DTYPES = ["F32", "F16", "BF16"];
/** Buffers older HF exports store that are recomputed from the config. */
const IGNORED_TENSOR = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

/**
 * Loads a checkpoint, checking every tensor's presence, dtype and shape against the config. F16 and
 * BF16 tensors are widened to float32. With `tie_word_embeddings`, an `lm_head.weight` may be
 * present but must equal the embedding; it is then dropped.
 *
 * @param configJson `config.json` as text or as the parsed object.
 * @param safetensorsBytes The whole `model.safetensors` file.
 * @returns The configuration and parameters.
 * @throws {SyntaxError} When `config.json` text is not JSON, or the safetensors file is malformed.
 * @throws {TypeError | RangeError} When the config is invalid, the file is malformed or truncated, or
 * a tensor is missing, unexpected, not floating point, of the wrong shape, or holds a NaN or infinity.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "./config.ts";
 * import { initParams } from "./init_params.ts";
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 11,
 * });
 * const saved = saveCheckpoint(config, initParams(config, 3));
 * assert.deepEqual(loadCheckpoint(saved.configJson, saved.bytes).params, initParams(config, 3));
 * ```
 */
export function loadCheckpoint(configJson: unknown, safetensorsBytes: Uint8Array): Checkpoint {
  const config = parseLlamaConfig(parseCheckpointJson(configJson, "config.json"));
  return checkpointFromTensors(config, readSafetensors(safetensorsBytes).tensors, "model.safetensors");
}

/**
 * Checks tensors read from one or more safetensors files against a config and keeps the model's
 * parameters, as {@linkcode loadCheckpoint} does (F16 and BF16 already widened to float32 by the reader).
 *
 * @param config The validated configuration.
 * @param tensors Every tensor of the checkpoint, by name.
 * @param fileName What holds the tensors, for messages.
 * @returns The configuration and parameters.
 * @throws {TypeError | RangeError} As {@linkcode loadCheckpoint}.
 */
export function checkpointFromTensors(
  config: LlamaConfig,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  fileName: string,
): Checkpoint {
  // The layer count first, from the tensors' names: listing every expected tensor of a config that claims
  // billions of layers would exhaust memory before the first missing tensor is found.
  const layersInFile = 1 + Math.max(
    -1,
    ...[...tensors.keys()].map((n) => Number(/^model\.layers\.(\d+)\./.exec(n)?.[1] ?? -1)),
  );
  if (config.numHiddenLayers > layersInFile) {
    throw new RangeError(
      `${PREFIX}: config.json num_hidden_layers is ${config.numHiddenLayers} but ${fileName} holds ` +
        `tensors of ${layersInFile} layer${layersInFile === 1 ? "" : "s"}`,
    );
  }
  const params: LlamaParams<Float32Array> = new Map();
  for (const spec of paramSpecs(config)) {
    const tensor = tensors.get(spec.name);
    if (tensor === undefined) {
      throw new RangeError(`${PREFIX}: tensor "${spec.name}" is missing, expected shape [${spec.shape}]`);
    }
    params.set(spec.name, checkTensor(config, spec.name, tensor, spec.shape));
  }
  for (const [name, tensor] of tensors) {
    if (params.has(name) || IGNORED_TENSOR.test(name)) continue;
    if (name === LM_HEAD && config.tieWordEmbeddings) {
      const head = checkTensor(config, name, tensor, [config.vocabSize, config.hiddenSize]);
      const embed = params.get(EMBED_TOKENS)!;
      if (head.some((value, i) => !Object.is(value, embed[i]))) {
        throw new RangeError(
          `${PREFIX}: tensor "${LM_HEAD}" differs from "${EMBED_TOKENS}" but config.json has tie_word_embeddings=true`,
        );
      }
      continue;
    }
    throw new RangeError(
      `${PREFIX}: unexpected tensor "${name}" for a ${config.numHiddenLayers}-layer model`,
    );
  }
  return { config, params };
}

/**
 * Parses a checkpoint's JSON file given as text; an already parsed value is returned as is.
 *
 * @param text The file's text, or its parsed value.
 * @param fileName The file's name, for the message.
 * @returns The parsed value.
 * @throws {SyntaxError} When the text is not JSON.
 */
export function parseCheckpointJson(text: unknown, fileName: string): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`${PREFIX}: ${fileName} is not valid JSON (${(error as Error).message})`);
  }
}

function checkTensor(
  config: LlamaConfig,
  name: string,
  tensor: SafetensorsTensor,
  shape: number[],
): Float32Array {
  if (!FLOAT_DTYPES.includes(tensor.dtype)) {
    throw new TypeError(
      `${PREFIX}: tensor "${name}" has dtype ${tensor.dtype}, expected one of ${FLOAT_DTYPES.join(", ")}`,
    );
  }
  if (tensor.shape.length !== shape.length || tensor.shape.some((dim, i) => dim !== shape[i])) {
    throw new RangeError(
      `${PREFIX}: tensor "${name}" has shape [${tensor.shape}], expected [${shape}] from config.json ${
        shapeSource(name, config)
      }`,
    );
  }
  const data = tensor.data as Float32Array;
  let bad = 0;
  while (bad < data.length && Number.isFinite(data[bad])) bad++;
  if (bad < data.length) {
    throw new RangeError(
      `${PREFIX}: tensor "${name}" holds ${
        data[bad]
      } at index ${bad} of ${data.length}; every weight must be finite`,
    );
  }
  return data;
}

/** The config.json fields that determine a tensor's shape, with their values, for error messages. */
function shapeSource(name: string, config: LlamaConfig): string {
  const fields: [string, number][] = [];
  if (name === EMBED_TOKENS || name === LM_HEAD) fields.push(["vocab_size", config.vocabSize]);
  if (/\.(gate|up|down)_proj\./.test(name)) fields.push(["intermediate_size", config.intermediateSize]);
  if (/\.(q|o)_proj\./.test(name)) fields.push(["num_attention_heads", config.numAttentionHeads]);
  if (/\.(k|v)_proj\./.test(name)) fields.push(["num_key_value_heads", config.numKeyValueHeads]);
  fields.push(["hidden_size", config.hiddenSize]);
  return fields.map(([field, value]) => `${field}=${value}`).join(", ");
}

/**
 * Saves a model as HF does: `config.json` text (2-space indented) and safetensors bytes with F32
 * tensors, metadata `{"format": "pt"}`, and no `lm_head.weight` when tied. Deterministic.
 *
 * @param config The model configuration.
 * @param params Parameters laid out as {@linkcode paramSpecs} (float64 values are rounded to float32).
 * @returns `config.json` text and `model.safetensors` bytes.
 * @throws {RangeError} When a parameter is missing, unexpected or wrongly sized.
 */
export function saveCheckpoint(
  config: LlamaConfig,
  params: ReadonlyMap<string, Float32Array | Float64Array>,
): { configJson: string; bytes: Uint8Array } {
  const configJson = `${JSON.stringify(configToJson(config), null, 2)}\n`;
  assertParamLayout(config, params, "Cannot save checkpoint");
  const tensors = new Map<string, SafetensorsTensor>();
  for (const spec of paramSpecs(config)) {
    const values = params.get(spec.name)!;
    const data = values instanceof Float32Array ? values : new Float32Array(values);
    tensors.set(spec.name, { dtype: "F32", shape: spec.shape, data });
  }
  return { configJson, bytes: writeSafetensors(tensors, { format: "pt" }) };
}
