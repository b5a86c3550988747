import assert from "node:assert/strict";
import {
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "../../../engine/io/float16.ts";
import { readSafetensors } from "../../../engine/io/read_safetensors.ts";
import type { SafetensorsTensor } from "../../../engine/io/safetensors.ts";
import { writeSafetensors } from "../../../engine/io/write_safetensors.ts";
import { loadCheckpoint, saveCheckpoint } from "../../../engine/model/checkpoint.ts";
import { configToJson } from "../../../engine/model/config.ts";
import { initParams } from "../../../engine/model/init_params.ts";
import { loadShardedCheckpoint, parseShardIndex } from "../../../engine/model/sharded_checkpoint.ts";
import { tinyConfig } from "./tiny_config.ts";

const CONFIG = tinyConfig(false); // grouped-query attention (2 heads, 1 key/value head), untied head
const PARAMS = initParams(CONFIG, 5);

/** The parameters rounded to bfloat16 (what a BF16 checkpoint holds), as float32. */
function bf16(values: Float32Array): Float32Array {
  const bits = new Uint32Array(values.length);
  values.forEach((v, i) => (bits[i] = numberToBfloat16Bits(v) << 16));
  return new Float32Array(bits.buffer);
}

/** The checkpoint as BF16 in two shards: layer 0 and the embedding in the first, the rest in the second. */
function twoShards(): { index: Record<string, unknown>; shards: Map<string, Uint8Array> } {
  const files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const parts: Map<string, SafetensorsTensor>[] = [new Map(), new Map()];
  const weightMap: Record<string, string> = {};
  const tensors = readSafetensors(saveCheckpoint(CONFIG, PARAMS).bytes).tensors;
  for (const [name, t] of tensors) {
    const part = name === "model.embed_tokens.weight" || name.startsWith("model.layers.0.") ? 0 : 1;
    parts[part].set(name, { dtype: "BF16", shape: t.shape, data: t.data as Float32Array });
    weightMap[name] = files[part];
  }
  return {
    index: { metadata: { total_size: 0 }, weight_map: weightMap },
    shards: new Map(files.map((f, i) => [f, writeSafetensors(parts[i], { format: "pt" })])),
  };
}

Deno.test("loadShardedCheckpoint() joins BF16 shards into float32 parameters (GQA, untied head)", () => {
  const { index, shards } = twoShards();
  const loaded = loadShardedCheckpoint(JSON.stringify(configToJson(CONFIG)), JSON.stringify(index), shards);
  assert.deepEqual(loaded.config, CONFIG);
  assert.ok(loaded.params.has("lm_head.weight"));
  assert.equal(CONFIG.numKeyValueHeads, 1);
  for (const [name, values] of PARAMS) assert.deepEqual(loaded.params.get(name), bf16(values), name);
  // The same BF16 tensors in one file load the same (F16/BF16 are widened at load).
  const single = new Map<string, SafetensorsTensor>();
  for (const bytes of shards.values()) for (const [n, t] of readSafetensors(bytes).tensors) single.set(n, t);
  assert.deepEqual(loadCheckpoint(configToJson(CONFIG), writeSafetensors(single)).params, loaded.params);
});

Deno.test("loadShardedCheckpoint() refuses a missing shard, a misplaced or unlisted tensor, a bad index", () => {
  const { index, shards } = twoShards();
  const json = configToJson(CONFIG);
  const map = index.weight_map as Record<string, string>;
  const rejects = (f: () => unknown, message: string) =>
    assert.throws(f, (e: unknown) => (assert.equal((e as Error).message, message), true));
  rejects(
    () => loadShardedCheckpoint(json, index, new Map([...shards].slice(0, 1))),
    'Cannot load checkpoint: shard "model-00002-of-00002.safetensors" named by model.safetensors.index.json is missing',
  );
  rejects(
    () =>
      loadShardedCheckpoint(json, {
        weight_map: { ...map, "lm_head.weight": "model-00001-of-00002.safetensors" },
      }, shards),
    'Cannot load checkpoint: tensor "lm_head.weight" lies in shard "model-00002-of-00002.safetensors" but ' +
      'model.safetensors.index.json names shard "model-00001-of-00002.safetensors"',
  );
  const fewer = { ...map };
  delete fewer["lm_head.weight"];
  rejects(
    () => loadShardedCheckpoint(json, { weight_map: fewer }, shards),
    'Cannot load checkpoint: tensor "lm_head.weight" lies in shard "model-00002-of-00002.safetensors" but ' +
      "model.safetensors.index.json does not name it",
  );
  rejects(
    () =>
      loadShardedCheckpoint(
        json,
        { weight_map: { ...map, extra: "model-00001-of-00002.safetensors" } },
        shards,
      ),
    'Cannot load checkpoint: tensor "extra" is missing from shard "model-00001-of-00002.safetensors" ' +
      "(model.safetensors.index.json)",
  );
  rejects(
    () => parseShardIndex({ weight_map: { a: "../b.safetensors" } }),
    'Cannot load checkpoint: model.safetensors.index.json weight_map.a must be a file name beside the index, got "../b.safetensors"',
  );
  rejects(
    () => parseShardIndex("{"),
    "Cannot load checkpoint: model.safetensors.index.json is not valid JSON (Expected property name or '}' in JSON at position 1 (line 1 column 2))",
  );
  rejects(
    () => parseShardIndex({}),
    "Cannot load checkpoint: model.safetensors.index.json weight_map must be an object of tensor name → file",
  );
});

Deno.test("loadShardedCheckpoint() widens F16 tensors too (shards of mixed dtypes)", () => {
  const { index, shards } = twoShards();
  const second = "model-00002-of-00002.safetensors";
  const tensors = readSafetensors(shards.get(second)!).tensors;
  const head = tensors.get("lm_head.weight")!;
  const half = PARAMS.get("lm_head.weight")!.map((v) => float16BitsToNumber(numberToFloat16Bits(v)));
  tensors.set("lm_head.weight", { dtype: "F16", shape: head.shape, data: half });
  const mixed = new Map(shards).set(second, writeSafetensors(tensors));
  const loaded = loadShardedCheckpoint(configToJson(CONFIG), index, mixed);
  assert.deepEqual(loaded.params.get("lm_head.weight"), half);
  assert.ok(
    half.some((v, i) => v !== bf16(PARAMS.get("lm_head.weight")!)[i]),
    "F16 rounds otherwise than BF16",
  );
});
