import assert from "node:assert/strict";
import { parseLlamaConfig } from "../../../engine/model/config.ts";
import { EMBED_TOKENS, LM_HEAD } from "../../../engine/model/param_names.ts";
import { llamaForward } from "../../../engine/reference/llama_forward.ts";
import { randomParams, tinyConfig, TOKENS } from "./tiny_llama.ts";

Deno.test("llamaForward() with a shared key/value head equals the model with that head repeated", () => {
  const grouped = tinyConfig(false);
  const params = randomParams(grouped);
  const full = parseLlamaConfig({
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 100,
  });
  const repeated = new Map(params);
  for (const [name, values] of params) {
    if (/\.(k|v)_proj\./.test(name)) {
      const both = new Float64Array(2 * values.length); // [2·hd, hidden]: kv head 0 twice
      both.set(values);
      both.set(values, values.length);
      repeated.set(name, both);
    }
  }
  assert.deepEqual(llamaForward(full, repeated, TOKENS).logits, llamaForward(grouped, params, TOKENS).logits);
});

Deno.test("llamaForward() of a tied model equals the untied model with lm_head = embedding", () => {
  const tied = tinyConfig(true);
  const params = randomParams(tied);
  const untied = new Map(params).set(LM_HEAD, params.get(EMBED_TOKENS)!.slice());
  const logits = llamaForward(tied, params, TOKENS).logits;
  assert.equal(logits.length, 10 * 11);
  assert.deepEqual(llamaForward(tinyConfig(false), untied, TOKENS).logits, logits);
});

Deno.test("llamaForward() rejects missing parameters and out-of-range tokens", () => {
  const config = tinyConfig(false);
  const params = randomParams(config);
  params.delete("model.layers.1.mlp.up_proj.weight");
  assert.throws(() => llamaForward(config, params, TOKENS), {
    name: "RangeError",
    message: 'llamaForward(): parameter "model.layers.1.mlp.up_proj.weight" is missing',
  });
  assert.throws(
    () => llamaForward(config, randomParams(config), { ids: new Int32Array([1, 11]), batch: 1, seqLen: 2 }),
    {
      name: "RangeError",
      message: "embeddingForward(): token id 11 at row 1 is outside the vocabulary [0, 11)",
    },
  );
});
