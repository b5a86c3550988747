import assert from "node:assert/strict";
import { readSafetensors } from "../../../engine/io/read_safetensors.ts";
import type { SafetensorsTensor } from "../../../engine/io/safetensors.ts";
import { writeSafetensors } from "../../../engine/io/write_safetensors.ts";
import { loadCheckpoint, saveCheckpoint } from "../../../engine/model/checkpoint.ts";
import { configToJson, parseLlamaConfig } from "../../../engine/model/config.ts";
import { initParams } from "../../../engine/model/init_params.ts";
import { tinyConfig } from "./tiny_config.ts";

const UNTIED = tinyConfig(false);
const TIED = tinyConfig(true);
const CONFIG_JSON = configToJson(UNTIED);

/** The untied checkpoint's tensors, edited by `edit`, written as safetensors. */
function editedFile(edit: (tensors: Map<string, SafetensorsTensor>) => void): Uint8Array {
  const tensors = readSafetensors(saveCheckpoint(UNTIED, initParams(UNTIED, 1)).bytes).tensors;
  edit(tensors);
  return writeSafetensors(tensors);
}

function rejects(
  bytes: Uint8Array,
  errorClass: ErrorConstructor,
  message: string,
  configJson: unknown = CONFIG_JSON,
) {
  assert.throws(() => loadCheckpoint(configJson, bytes), (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
    assert.equal((error as Error).message, message);
    return true;
  });
}

Deno.test("saveCheckpoint() then loadCheckpoint() round-trips bit-exactly, tied and untied", () => {
  for (const config of [UNTIED, TIED]) {
    const params = initParams(config, 3);
    const saved = saveCheckpoint(config, params);
    assert.deepEqual(saveCheckpoint(config, initParams(config, 3)), saved);
    const loaded = loadCheckpoint(saved.configJson, saved.bytes);
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(loaded.params, params);
    assert.deepEqual([...loaded.params.keys()], [...params.keys()]);
  }
});

Deno.test("saveCheckpoint() writes HF-style files: format metadata, F32 tensors, no lm_head when tied", () => {
  const saved = saveCheckpoint(TIED, initParams(TIED, 3));
  const file = readSafetensors(saved.bytes);
  assert.deepEqual(file.metadata, { format: "pt" });
  assert.ok(!file.tensors.has("lm_head.weight"));
  assert.ok([...file.tensors.values()].every((t) => t.dtype === "F32"));
  assert.equal(JSON.parse(saved.configJson).tie_word_embeddings, true);
});

Deno.test("loadCheckpoint() accepts a tied checkpoint with an explicit lm_head equal to the embedding", () => {
  const saved = saveCheckpoint(TIED, initParams(TIED, 3));
  const tensors = readSafetensors(saved.bytes).tensors;
  tensors.set("lm_head.weight", tensors.get("model.embed_tokens.weight")!);
  const loaded = loadCheckpoint(saved.configJson, writeSafetensors(tensors));
  assert.ok(!loaded.params.has("lm_head.weight"));
  const embed = tensors.get("model.embed_tokens.weight")!;
  tensors.set("lm_head.weight", {
    dtype: "F32",
    shape: [11, 8],
    data: (embed.data as Float32Array).map((v) => v + 1),
  });
  rejects(
    writeSafetensors(tensors),
    RangeError,
    'Cannot load checkpoint: tensor "lm_head.weight" differs from "model.embed_tokens.weight" but config.json has ' +
      "tie_word_embeddings=true",
    saved.configJson,
  );
});

Deno.test("loadCheckpoint() widens F16 and BF16 tensors and ignores rotary inv_freq buffers", () => {
  const bytes = editedFile((tensors) => {
    const norm = tensors.get("model.norm.weight")!;
    tensors.set("model.norm.weight", { ...norm, dtype: "BF16" } as SafetensorsTensor);
    const up = tensors.get("model.layers.0.mlp.up_proj.weight")!;
    tensors.set("model.layers.0.mlp.up_proj.weight", { ...up, dtype: "F16" } as SafetensorsTensor);
    tensors.set("model.layers.1.self_attn.rotary_emb.inv_freq", {
      dtype: "F32",
      shape: [2],
      data: new Float32Array(2),
    });
  });
  const { params } = loadCheckpoint(CONFIG_JSON, bytes);
  assert.deepEqual(params.get("model.norm.weight"), new Float32Array(8).fill(1));
  const up = params.get("model.layers.0.mlp.up_proj.weight")!;
  const reference = initParams(UNTIED, 1).get("model.layers.0.mlp.up_proj.weight")!;
  assert.ok(up.every((v, i) => Math.abs(v - reference[i]) <= 2 ** -11 * Math.abs(reference[i]) + 2 ** -24));
});

Deno.test("loadCheckpoint() rejects a missing tensor", () => {
  rejects(
    editedFile((tensors) => tensors.delete("model.layers.1.self_attn.v_proj.weight")),
    RangeError,
    'Cannot load checkpoint: tensor "model.layers.1.self_attn.v_proj.weight" is missing, expected shape [4,8]',
  );
  rejects(
    editedFile((tensors) => tensors.delete("lm_head.weight")),
    RangeError,
    'Cannot load checkpoint: tensor "lm_head.weight" is missing, expected shape [11,8]',
  );
});

Deno.test("loadCheckpoint() rejects an unexpected tensor", () => {
  rejects(
    editedFile((tensors) =>
      tensors.set("model.layers.2.mlp.up_proj.weight", {
        dtype: "F32",
        shape: [1],
        data: new Float32Array(1),
      })
    ),
    RangeError,
    'Cannot load checkpoint: unexpected tensor "model.layers.2.mlp.up_proj.weight" for a 2-layer model',
  );
});

Deno.test("loadCheckpoint() rejects a tensor whose shape disagrees with config.json", () => {
  rejects(
    editedFile((tensors) =>
      tensors.set("model.layers.0.mlp.up_proj.weight", {
        dtype: "F32",
        shape: [6, 16],
        data: new Float32Array(96),
      })
    ),
    RangeError,
    'Cannot load checkpoint: tensor "model.layers.0.mlp.up_proj.weight" has shape [6,16], expected [12,8] from ' +
      "config.json intermediate_size=12, hidden_size=8",
  );
  rejects(
    editedFile((tensors) =>
      tensors.set("model.layers.0.self_attn.k_proj.weight", {
        dtype: "F32",
        shape: [8, 8],
        data: new Float32Array(64),
      })
    ),
    RangeError,
    'Cannot load checkpoint: tensor "model.layers.0.self_attn.k_proj.weight" has shape [8,8], expected [4,8] from ' +
      "config.json num_key_value_heads=1, hidden_size=8",
  );
});

Deno.test("loadCheckpoint() rejects a tensor that is not floating point", () => {
  rejects(
    editedFile((tensors) =>
      tensors.set("model.norm.weight", { dtype: "I32", shape: [8], data: new Int32Array(8) })
    ),
    TypeError,
    'Cannot load checkpoint: tensor "model.norm.weight" has dtype I32, expected one of F32, F16, BF16',
  );
});

Deno.test("loadCheckpoint() rejects a truncated file", () => {
  const { configJson, bytes } = saveCheckpoint(UNTIED, initParams(UNTIED, 1));
  const dataLength = 4 * 1176;
  const headerEnd = bytes.length - dataLength;
  rejects(
    bytes.subarray(0, bytes.length - 10),
    RangeError,
    `Cannot read safetensors: tensor "model.norm.weight" has data_offsets [${
      dataLength - 32
    },${dataLength}] past ` +
      `the end of the ${dataLength - 10}-byte data buffer`,
    configJson,
  );
  rejects(
    bytes.subarray(0, 100),
    RangeError,
    `Cannot read safetensors: header length ${headerEnd - 8} exceeds the 92 bytes after the length prefix`,
    configJson,
  );
});

Deno.test("loadCheckpoint() rejects config.json text that is not JSON", () => {
  assert.throws(
    () => loadCheckpoint("{hidden_size: 8}", new Uint8Array()),
    /^SyntaxError: Cannot load checkpoint: config\.json is not valid JSON \(/,
  );
});

Deno.test("saveCheckpoint() rejects parameters that do not match the config", () => {
  const params = initParams(TIED, 1);
  params.set("lm_head.weight", new Float32Array(88));
  assert.throws(() => saveCheckpoint(TIED, params), {
    name: "RangeError",
    message: 'Cannot save checkpoint: unexpected parameter "lm_head.weight"',
  });
  params.delete("lm_head.weight");
  params.set("model.norm.weight", new Float32Array(7));
  assert.throws(() => saveCheckpoint(TIED, params), {
    name: "RangeError",
    message: 'Cannot save checkpoint: parameter "model.norm.weight" has 7 values, expected 8 for shape [8]',
  });
});

Deno.test("loadCheckpoint() rejects a NaN or an infinity in any weight, naming the tensor", () => {
  rejects(
    editedFile((tensors) => {
      (tensors.get("model.layers.0.mlp.down_proj.weight")!.data as Float32Array)[3] = NaN;
    }),
    RangeError,
    'Cannot load checkpoint: tensor "model.layers.0.mlp.down_proj.weight" holds NaN at index 3 of 96; ' +
      "every weight must be finite",
  );
  rejects(
    editedFile((tensors) => {
      const head = tensors.get("lm_head.weight")!;
      (head.data as Float32Array)[0] = -Infinity;
      tensors.set("lm_head.weight", { ...head, dtype: "F16" } as SafetensorsTensor);
    }),
    RangeError,
    'Cannot load checkpoint: tensor "lm_head.weight" holds -Infinity at index 0 of 88; every weight must be finite',
  );
});

Deno.test("loadCheckpoint() compares num_hidden_layers with the file's layers before listing tensors", () => {
  const config = parseLlamaConfig({
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    vocab_size: 10,
  });
  const { configJson, bytes } = saveCheckpoint(config, initParams(config, 1));
  // A config claiming 2^40 layers once listed every expected tensor first, and ran out of memory.
  for (const layers of [2 ** 40, 2]) {
    const c = { ...JSON.parse(configJson), num_hidden_layers: layers };
    assert.throws(
      () => loadCheckpoint(JSON.stringify(c), bytes),
      new RangeError(
        `Cannot load checkpoint: config.json num_hidden_layers is ${layers} but model.safetensors holds tensors of 1 layer`,
      ),
    );
  }
});
