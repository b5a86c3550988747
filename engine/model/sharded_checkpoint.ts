/**
 * Sharded Hugging Face checkpoints: `model.safetensors.index.json` (`weight_map`: tensor name → shard
 * file) and the shard files it names.
 *
 * @module
 */

import { readSafetensors } from "../io/read_safetensors.ts";
import type { SafetensorsTensor } from "../io/safetensors.ts";
import { type Checkpoint, checkpointFromTensors, parseCheckpointJson } from "./checkpoint.ts";
import { parseLlamaConfig } from "./config.ts";

/** The index file's name beside the shards. */
export const SHARD_INDEX_FILE = "model.safetensors.index.json";

const PREFIX = "Cannot load checkpoint";
/** A shard file name: no folders, no parent references. */
const SHARD_NAME = /^(?!\.\.?$)[^/\\]+$/;

/**
 * Reads `model.safetensors.index.json`: its `weight_map` and the shard files it names.
 *
 * @param indexJson The index as text or as the parsed object.
 * @returns Tensor name → shard file, and the shard files in first-mention order.
 * @throws {SyntaxError | TypeError} When the index is not JSON, has no `weight_map` object, or a value is
 * not a plain file name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShardIndex } from "./sharded_checkpoint.ts";
 * const index = parseShardIndex({ weight_map: { a: "m-1.safetensors", b: "m-2.safetensors" } });
 * assert.deepEqual(index.files, ["m-1.safetensors", "m-2.safetensors"]);
 * ```
 */
export function parseShardIndex(indexJson: unknown): { weightMap: Map<string, string>; files: string[] } {
  const json = parseCheckpointJson(indexJson, SHARD_INDEX_FILE);
  const map = (json as Record<string, unknown> | null)?.weight_map;
  if (
    typeof json !== "object" || json === null || typeof map !== "object" || map === null || Array.isArray(map)
  ) {
    throw new TypeError(`${PREFIX}: ${SHARD_INDEX_FILE} weight_map must be an object of tensor name → file`);
  }
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== "string" || !SHARD_NAME.test(file)) {
      throw new TypeError(
        `${PREFIX}: ${SHARD_INDEX_FILE} weight_map.${name} must be a file name beside the index, got ${
          JSON.stringify(file)
        }`,
      );
    }
    weightMap.set(name, file);
  }
  return { weightMap, files: [...new Set(weightMap.values())] };
}

/**
 * Loads a sharded checkpoint: every shard the index names is read (F16/BF16 widened to float32), each
 * tensor must lie in the shard the index names and in no other, and the union is checked against the
 * config as {@linkcode loadCheckpoint} checks one file.
 *
 * @param configJson `config.json` as text or as the parsed object.
 * @param indexJson `model.safetensors.index.json` as text or as the parsed object.
 * @param shards The bytes of each shard file the index names, by file name.
 * @returns The configuration and parameters.
 * @throws {SyntaxError | TypeError | RangeError} When a file is malformed, a shard is missing, or a tensor
 * is missing, misplaced, duplicated or wrong (as {@linkcode loadCheckpoint}).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "./config.ts";
 * import { initParams } from "./init_params.ts";
 * import { saveCheckpoint } from "./checkpoint.ts";
 * import { loadShardedCheckpoint } from "./sharded_checkpoint.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 11,
 * });
 * const saved = saveCheckpoint(config, initParams(config, 3));
 * const names = [...initParams(config, 3).keys()];
 * const index = { weight_map: Object.fromEntries(names.map((n) => [n, "one.safetensors"])) };
 * const loaded = loadShardedCheckpoint(saved.configJson, index, new Map([["one.safetensors", saved.bytes]]));
 * assert.deepEqual(loaded.params, initParams(config, 3));
 * ```
 */
export function loadShardedCheckpoint(
  configJson: unknown,
  indexJson: unknown,
  shards: ReadonlyMap<string, Uint8Array>,
): Checkpoint {
  const config = parseLlamaConfig(parseCheckpointJson(configJson, "config.json"));
  const { weightMap, files } = parseShardIndex(indexJson);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const file of files) {
    const bytes = shards.get(file);
    if (bytes === undefined) {
      throw new RangeError(`${PREFIX}: shard "${file}" named by ${SHARD_INDEX_FILE} is missing`);
    }
    let read;
    try {
      read = readSafetensors(bytes).tensors;
    } catch (error) {
      const message = (error as Error).message.replace(/^Cannot read safetensors: /, "");
      const Kind = error instanceof SyntaxError
        ? SyntaxError
        : error instanceof TypeError
        ? TypeError
        : RangeError;
      throw new Kind(`${PREFIX}: shard "${file}": ${message}`);
    }
    for (const [name, tensor] of read) {
      const expected = weightMap.get(name);
      if (expected !== file) {
        throw new RangeError(
          `${PREFIX}: tensor "${name}" lies in shard "${file}" but ${SHARD_INDEX_FILE} ${
            expected === undefined ? "does not name it" : `names shard "${expected}"`
          }`,
        );
      }
      tensors.set(name, tensor);
    }
  }
  for (const [name, file] of weightMap) {
    if (!tensors.has(name)) {
      throw new RangeError(
        `${PREFIX}: tensor "${name}" is missing from shard "${file}" (${SHARD_INDEX_FILE})`,
      );
    }
  }
  return checkpointFromTensors(config, tensors, "the shards");
}
