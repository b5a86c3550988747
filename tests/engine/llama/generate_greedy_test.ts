import assert from "node:assert/strict";
import { argmaxCpu } from "../../../engine/cpu/argmax.ts";
import { generateGreedy, GpuLlama } from "../../../engine/llama/mod.ts";
import { Tensor } from "../../../engine/mod.ts";
import { hasAdapter, testGpu } from "../support.ts";
import { midConfig, paramsFor } from "./llama_fixture.ts";

// Needs read-only storage textures (attention) and the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

/** Greedy decoding by re-running the full (uncached) forward pass on each prefix. */
async function uncachedGreedy(model: GpuLlama, prompt: Int32Array, maxNewTokens: number, eosId?: number) {
  const tokens = [...prompt], out: number[] = [];
  const vocab = model.config.vocabSize;
  while (out.length < maxNewTokens) {
    const logits = await model.forward(Tensor.from(gpu!, Int32Array.from(tokens)), 1, tokens.length).read();
    const next = argmaxCpu(logits.subarray((tokens.length - 1) * vocab), 1, vocab)[0];
    if (next === eosId) break;
    out.push(next);
    tokens.push(next);
  }
  return out;
}

Deno.test({
  name: "generateGreedy() with a key/value cache equals argmax decoding with the full forward pass",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const model = new GpuLlama(gpu!, config, paramsFor(config, 8).p32);
    const prompts = [[3, 1, 4, 1, 5], [9, 2], [6, 5, 3, 5, 8, 9, 7, 9], [36]].map((p) => Int32Array.from(p));
    const maxNewTokens = 7;
    const plain = await Promise.all(prompts.map((p) => uncachedGreedy(model, p, maxNewTokens)));
    assert.ok(plain.some((tokens) => new Set(tokens).size > 1), "the model produces varied tokens");
    const readbacks = gpu!.stats.readbacks;
    const reported: [number, number][] = [];
    const cached = await generateGreedy(model, prompts, {
      maxNewTokens,
      onStep: (done, total) => reported.push([done, total]),
    });
    const steps = 8 + maxNewTokens - 1; // positions fed after the prefill of the shortest prompt
    assert.ok(gpu!.stats.readbacks - readbacks <= steps, "at most one readback per step");
    assert.deepEqual(cached.map((t) => [...t]), plain);
    // Progress: one call per decoding position, counting up to longest − shortest + maxNewTokens.
    assert.deepEqual(reported, Array.from({ length: steps }, (_, i) => [i + 1, steps]));
    // Stopping at (and excluding) an end token: the third token of the first completion.
    const eosId = plain[0][2];
    const stopped = await Promise.all(prompts.map((p) => uncachedGreedy(model, p, maxNewTokens, eosId)));
    const early: [number, number][] = [];
    const generated = await generateGreedy(model, prompts, {
      maxNewTokens,
      eosId,
      onStep: (done, total) => early.push([done, total]),
    });
    assert.deepEqual(generated.map((t) => [...t]), stopped);
    assert.deepEqual(early.at(-1), [steps, steps], "an early end reports every position done");
    assert.equal(generated[0].length, plain[0].indexOf(eosId));
    model.destroy();
  },
});

Deno.test({
  name: "generateGreedy() handles no new tokens and rejects empty prompts",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const model = new GpuLlama(gpu!, config, paramsFor(config, 8).p32);
    assert.deepEqual(await generateGreedy(model, [Int32Array.of(1)], { maxNewTokens: 0 }), [
      new Int32Array(0),
    ]);
    await assert.rejects(() => generateGreedy(model, [new Int32Array(0)], { maxNewTokens: 2 }), /empty/);
    await assert.rejects(() => generateGreedy(model, [Int32Array.of(99)], { maxNewTokens: 2 }), /outside/);
    model.destroy();
  },
});
