import assert from "node:assert/strict";
import { configToJson, parseLlamaConfig } from "../../../engine/model/config.ts";

const MINIMAL = {
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  vocab_size: 11,
};

function rejects(json: unknown, errorClass: ErrorConstructor, message: string): void {
  assert.throws(() => parseLlamaConfig(json), (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
    assert.equal((error as Error).message, message);
    return true;
  });
}

Deno.test("parseLlamaConfig() fills Hugging Face defaults and derives head_dim", () => {
  assert.deepEqual(parseLlamaConfig(MINIMAL), {
    hiddenSize: 8,
    intermediateSize: 12,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    numKeyValueHeads: 2,
    headDim: 4,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    vocabSize: 11,
    maxPositionEmbeddings: 2048,
    tieWordEmbeddings: false,
    initializerRange: 0.02,
  });
});

Deno.test("parseLlamaConfig() reads a Llama-2-style config.json and ignores unrelated keys", () => {
  const config = parseLlamaConfig({
    architectures: ["LlamaForCausalLM"],
    bos_token_id: 1,
    hidden_act: "silu",
    hidden_size: 4096,
    intermediate_size: 11008,
    max_position_embeddings: 4096,
    model_type: "llama",
    num_attention_heads: 32,
    num_hidden_layers: 32,
    num_key_value_heads: 32,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    tie_word_embeddings: false,
    torch_dtype: "float16",
    vocab_size: 32000,
  });
  assert.equal(config.headDim, 128);
  assert.equal(config.rmsNormEps, 1e-5);
});

Deno.test("parseLlamaConfig() reads rope_theta from transformers v5 rope_parameters", () => {
  const config = parseLlamaConfig({
    ...MINIMAL,
    rope_parameters: { rope_type: "default", rope_theta: 500000 },
  });
  assert.equal(config.ropeTheta, 500000);
});

Deno.test("configToJson() round-trips through parseLlamaConfig() and names the HF architecture", () => {
  const config = parseLlamaConfig({
    ...MINIMAL,
    num_key_value_heads: 1,
    tie_word_embeddings: true,
    rope_theta: 100,
  });
  const json = configToJson(config);
  assert.deepEqual(parseLlamaConfig(JSON.parse(JSON.stringify(json))), config);
  assert.deepEqual(json.architectures, ["LlamaForCausalLM"]);
  for (
    const [key, value] of Object.entries({ model_type: "llama", hidden_act: "silu", torch_dtype: "float32" })
  ) {
    assert.equal(json[key], value);
  }
  assert.equal(json.attention_bias, false);
  assert.equal(json.mlp_bias, false);
  assert.equal(json.head_dim, 4);
});

Deno.test("parseLlamaConfig() rejects missing and invalid fields with the field and value", () => {
  const { hidden_size: _, ...noHidden } = MINIMAL;
  rejects(
    noHidden,
    TypeError,
    "Cannot read config.json: hidden_size must be a positive integer, got nothing",
  );
  rejects(
    { ...MINIMAL, num_hidden_layers: -1 },
    TypeError,
    "Cannot read config.json: num_hidden_layers must be a positive integer, got -1",
  );
  rejects(
    { ...MINIMAL, vocab_size: 10.5 },
    TypeError,
    "Cannot read config.json: vocab_size must be a positive integer, got 10.5",
  );
  rejects(
    { ...MINIMAL, rms_norm_eps: "1e-5" },
    TypeError,
    'Cannot read config.json: rms_norm_eps must be a positive number, got "1e-5"',
  );
  rejects(
    { ...MINIMAL, tie_word_embeddings: 1 },
    TypeError,
    "Cannot read config.json: tie_word_embeddings must be a boolean, got 1",
  );
  rejects([MINIMAL], TypeError, "Cannot read config.json: expected a JSON object, got an array");
});

Deno.test("parseLlamaConfig() rejects features the model does not implement", () => {
  rejects(
    { ...MINIMAL, hidden_act: "gelu" },
    TypeError,
    'Cannot read config.json: hidden_act must be "silu", got "gelu"',
  );
  rejects(
    { ...MINIMAL, attention_bias: true },
    TypeError,
    "Cannot read config.json: attention_bias must be false (no biases are supported), got true",
  );
  rejects(
    { ...MINIMAL, rope_scaling: { rope_type: "llama3", factor: 8 } },
    TypeError,
    "Cannot read config.json: rope_scaling.low_freq_factor must be a positive number, got nothing",
  );
  rejects(
    { ...MINIMAL, rope_scaling: { type: "dynamic", factor: 2 } },
    TypeError,
    'Cannot read config.json: rope_scaling.type must be "default", "linear" or "llama3" (the RoPE types supported), got "dynamic"',
  );
  rejects(
    { ...MINIMAL, rope_parameters: { rope_type: "yarn" } },
    TypeError,
    'Cannot read config.json: rope_parameters.rope_type must be "default", "linear" or "llama3" (the RoPE types supported), got "yarn"',
  );
  rejects(
    { ...MINIMAL, rope_scaling: { rope_type: "linear", factor: 0 } },
    TypeError,
    "Cannot read config.json: rope_scaling.factor must be a positive number, got 0",
  );
});

Deno.test("parseLlamaConfig() rejects inconsistent head counts and widths", () => {
  rejects(
    { ...MINIMAL, num_attention_heads: 3 },
    RangeError,
    "Cannot read config.json: hidden_size=8 is not a multiple of num_attention_heads=3",
  );
  rejects(
    { ...MINIMAL, num_attention_heads: 8 },
    RangeError,
    "Cannot read config.json: head dimension hidden_size/num_attention_heads = 1 must be even for rotary embeddings",
  );
  rejects(
    { ...MINIMAL, num_attention_heads: 4, num_key_value_heads: 3 },
    RangeError,
    "Cannot read config.json: num_attention_heads=4 is not a multiple of num_key_value_heads=3",
  );
  rejects(
    { ...MINIMAL, head_dim: 8 },
    RangeError,
    "Cannot read config.json: head_dim=8 differs from hidden_size/num_attention_heads = 4, which is not supported",
  );
});
