import assert from "node:assert/strict";
import { sampleLabelsCpu } from "../../../engine/cpu/sample_labels.ts";
import { GpuLlama } from "../../../engine/llama/mod.ts";
import { readTensors } from "../../../engine/mod.ts";
import { parseLlamaConfig } from "../../../engine/model/config.ts";
import { linearName, LM_HEAD } from "../../../engine/model/param_names.ts";
import { llamaLossAndGradients } from "../../../engine/reference/llama_loss.ts";
import { assertClose, hasAdapter, testGpu } from "../support.ts";
import { assertGradClose, deviceBatch, paramsFor, randomBatch } from "./llama_fixture.ts";

// Needs read-only storage textures (attention) and the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

// A one-layer model of width 16 with the vocabularies of real checkpoints (Llama 2's 32,000, an odd
// 128,257 with a tied head, Gemma's 256,000): the loss, the logits' softmax, labels sampled from the
// model and every gradient (the embedding, the head and the MLP among them) against the f64
// reference. Logits rows are far past what one invocation may loop over on a CPU rasteriser.
for (const [vocab, tied] of [[32_000, false], [128_257, true], [256_000, false]] as const) {
  Deno.test({
    name: `GpuLlama at vocabulary ${vocab.toLocaleString("en")}${
      tied ? " (tied head)" : ""
    }: loss, log-probabilities, sampled labels and gradients match the f64 reference`,
    ignore: !hasAdapter,
    fn: async () => {
      const config = parseLlamaConfig({
        vocab_size: vocab,
        hidden_size: 16,
        intermediate_size: 24,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        tie_word_embeddings: tied,
      });
      const { p32, p64 } = paramsFor(config, 3);
      const host = randomBatch(vocab, 2, 8, 5);
      const model = new GpuLlama(gpu!, config, p32);
      const b = deviceBatch(gpu!, host);
      const targets = { labels: host.labels, weights: Float64Array.from(host.weights) };
      const ref = llamaLossAndGradients(config, p64, host, targets);

      const evaluated = model.evaluate(b);
      const [logProbs] = await readTensors(evaluated.logProbs);
      assertClose(logProbs, ref.logProbs, { atol: 1e-4, rtol: 1e-5 }, "log p(label)");
      const loss = model.lossAndGrad(b);
      const [gotLoss, ...grads] = await readTensors(loss, ...model.grads.values());
      assertClose(gotLoss, [ref.loss], { atol: 0, rtol: 1e-5 }, "loss");
      [...model.grads.keys()].forEach((name, i) => assertGradClose(grads[i], ref.grads.get(name)!, name));
      const names = [...model.grads.keys()];
      for (const name of ["model.embed_tokens.weight", linearName(0, "down_proj"), tied ? "" : LM_HEAD]) {
        if (name !== "") assert.ok(names.includes(name), `${name} checked`);
      }

      // Labels drawn from the model's own softmax (the fit's true Fisher): the CPU reference's labels
      // for the GPU logits, and the loss and head gradient of the reference with those labels.
      const logits = await model.forward(b.ids, host.batch, host.seqLen).read() as Float32Array;
      const sample = { seed: 2 ** 33 + 9, draw: 1, rowOffset: 40 };
      const sampled = model.lossAndGradWithRecords(b, { layers: [LM_HEAD], paramGrads: false, sample });
      const [labels, sampledLoss, g] = await readTensors(
        sampled.labels,
        sampled.loss,
        sampled.records.get(LM_HEAD)!.g,
      );
      const expected = sampleLabelsCpu(logits, host.batch * host.seqLen, vocab, sample, host.labels);
      assert.deepEqual(labels, expected);
      const refSampled = llamaLossAndGradients(config, p64, host, { ...targets, labels: expected });
      assertClose(sampledLoss, [refSampled.loss], { atol: 0, rtol: 1e-5 }, "loss with sampled labels");
      assertGradClose(g, refSampled.records.get(LM_HEAD)!.g, "lm_head g with sampled labels");
      model.destroy();
    },
  });
}
