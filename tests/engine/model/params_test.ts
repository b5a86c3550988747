import assert from "node:assert/strict";
import { parseLlamaConfig } from "../../../engine/model/config.ts";
import { initParams } from "../../../engine/model/init_params.ts";
import { castParams, paramCount, paramSpecs } from "../../../engine/model/params.ts";
import { tinyConfig } from "./tiny_config.ts";

Deno.test("paramSpecs() lists HF names and [out, in] shapes in module order", () => {
  const specs = paramSpecs(tinyConfig(false));
  assert.deepEqual(specs.slice(0, 10).map((s) => [s.name, s.shape]), [
    ["model.embed_tokens.weight", [11, 8]],
    ["model.layers.0.input_layernorm.weight", [8]],
    ["model.layers.0.self_attn.q_proj.weight", [8, 8]],
    ["model.layers.0.self_attn.k_proj.weight", [4, 8]],
    ["model.layers.0.self_attn.v_proj.weight", [4, 8]],
    ["model.layers.0.self_attn.o_proj.weight", [8, 8]],
    ["model.layers.0.post_attention_layernorm.weight", [8]],
    ["model.layers.0.mlp.gate_proj.weight", [12, 8]],
    ["model.layers.0.mlp.up_proj.weight", [12, 8]],
    ["model.layers.0.mlp.down_proj.weight", [8, 12]],
  ]);
  assert.deepEqual(specs.slice(-2).map((s) => [s.name, s.shape]), [["model.norm.weight", [8]], [
    "lm_head.weight",
    [11, 8],
  ]]);
  assert.equal(specs.length, 1 + 2 * 9 + 2);
  assert.ok(paramSpecs(tinyConfig(true)).every((s) => s.name !== "lm_head.weight"));
});

Deno.test("paramCount() matches the published sizes of Llama-2-7B and TinyLlama-1.1B", () => {
  assert.equal(paramCount(tinyConfig(false)), 1176);
  assert.equal(paramCount(tinyConfig(true)), 1176 - 88);
  const llama2 = parseLlamaConfig({
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    vocab_size: 32000,
  });
  assert.equal(paramCount(llama2), 6_738_415_616);
  const tinyLlama = parseLlamaConfig({
    hidden_size: 2048,
    intermediate_size: 5632,
    num_hidden_layers: 22,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    vocab_size: 32000,
  });
  assert.equal(paramCount(tinyLlama), 1_100_048_384);
});

Deno.test("initParams() is deterministic, per-tensor, normal(0, initializer_range) with unit norms", () => {
  const config = tinyConfig(false);
  const a = initParams(config, 7);
  assert.deepEqual(initParams(config, 7), a);
  assert.notDeepEqual(initParams(config, 8).get("lm_head.weight"), a.get("lm_head.weight"));
  // A tensor depends only on (seed, name, size): adding layers does not change layer 0.
  const deeper = initParams({ ...config, numHiddenLayers: 3 }, 7);
  assert.deepEqual(
    deeper.get("model.layers.0.mlp.up_proj.weight"),
    a.get("model.layers.0.mlp.up_proj.weight"),
  );
  assert.deepEqual(a.get("model.layers.1.input_layernorm.weight"), new Float32Array(8).fill(1));
  // The first two normals of stream (7, "model.embed_tokens.weight"), from a Python transcription.
  const embed = a.get("model.embed_tokens.weight")!;
  assert.deepEqual([embed[0], embed[1]], [
    Math.fround(0.02 * -0.785788461596537),
    Math.fround(0.02 * 0.42094230184664655),
  ]);
  const big = parseLlamaConfig({
    hidden_size: 256,
    intermediate_size: 512,
    num_hidden_layers: 1,
    num_attention_heads: 4,
    vocab_size: 64,
  });
  const up = initParams(big, 1).get("model.layers.0.mlp.up_proj.weight")!;
  const mean = up.reduce((s, v) => s + v, 0) / up.length;
  const std = Math.sqrt(up.reduce((s, v) => s + v * v, 0) / up.length);
  assert.ok(Math.abs(mean) < 3e-4 && Math.abs(std - 0.02) < 3e-4, `mean ${mean}, std ${std}`);
});

Deno.test("castParams() converts between float32 and float64 without changing values", () => {
  const params = initParams(tinyConfig(true), 1);
  const wide = castParams(params, Float64Array);
  assert.ok(wide.get("model.norm.weight") instanceof Float64Array);
  assert.deepEqual(castParams(wide, Float32Array), params);
});
