import assert from "node:assert/strict";
import { readSafetensors } from "../../../engine/io/read_safetensors.ts";
import { parseLlamaConfig } from "../../../engine/model/config.ts";
import type { LlamaParams } from "../../../engine/model/params.ts";
import { llamaLossAndGradients } from "../../../engine/reference/llama_loss.ts";
import { relativeError } from "./gradient_check.ts";

// Written by fixtures/make_torch_fixture.py: PyTorch float64 autograd on a transcription of HF
// LlamaForCausalLM (2 layers, 2 heads sharing 1 key/value head, untied).
const file = readSafetensors(
  await Deno.readFile(new URL("./fixtures/torch_tiny_llama.safetensors", import.meta.url)),
);

function tensor(name: string): Float64Array {
  const t = file.tensors.get(name);
  assert.ok(t?.dtype === "F64", `fixture tensor ${name}`);
  return t.data;
}

function int32(name: string): Int32Array {
  const t = file.tensors.get(name);
  assert.ok(t?.dtype === "I64", `fixture tensor ${name}`);
  return Int32Array.from(t.data, Number);
}

Deno.test("the float64 reference matches PyTorch autograd on HF's Llama: logits, loss and every gradient", () => {
  const config = parseLlamaConfig(JSON.parse(file.metadata.config));
  const params: LlamaParams<Float64Array> = new Map();
  for (const name of file.tensors.keys()) {
    if (name.startsWith("params.")) params.set(name.slice("params.".length), tensor(name));
  }
  const tokens = { ids: int32("input_ids"), batch: 2, seqLen: 5 };
  const result = llamaLossAndGradients(config, params, tokens, {
    labels: int32("labels"),
    weights: tensor("weights"),
  });
  assert.ok(relativeError(result.acts.logits, tensor("expected.logits")) < 1e-13, "logits");
  assert.ok(Math.abs(result.loss - tensor("expected.loss")[0]) < 1e-12 * Math.abs(result.loss), "loss");
  assert.equal(result.grads.size, params.size);
  for (const [name, grad] of result.grads) {
    const error = relativeError(grad, tensor(`expected.grad.${name}`));
    assert.ok(error < 1e-12, `${name}: relative error ${error}`);
  }
});
