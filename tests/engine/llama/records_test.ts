import assert from "node:assert/strict";
import { sampleLabelsCpu } from "../../../engine/cpu/sample_labels.ts";
import { GpuLlama } from "../../../engine/llama/mod.ts";
import { linearName, LM_HEAD } from "../../../engine/model/param_names.ts";
import { matmul, readTensors, Tensor } from "../../../engine/mod.ts";
import { llamaLossAndGradients } from "../../../engine/reference/llama_loss.ts";
import { assertClose, hasAdapter, testGpu } from "../support.ts";
import {
  assertGradClose,
  deviceBatch,
  midConfig,
  paramsFor,
  randomBatch,
  tinyConfig,
  TOKENS,
} from "./llama_fixture.ts";

// Needs read-only storage textures (attention) and the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

const LAYERS = [
  LM_HEAD,
  linearName(0, "q_proj"),
  linearName(0, "k_proj"),
  linearName(0, "v_proj"),
  linearName(1, "o_proj"),
  linearName(0, "gate_proj"),
  linearName(1, "up_proj"),
  linearName(0, "down_proj"),
];

Deno.test({
  name:
    "lossAndGradWithRecords() records a and g as the f64 reference, and Σ_t g_t a_tᵀ is the weight gradient",
  ignore: !hasAdapter,
  fn: async () => {
    const config = tinyConfig(false);
    const { p32, p64 } = paramsFor(config);
    const host = {
      ids: TOKENS.ids,
      labels: new Int32Array([1, 4, 1, 5, -1, 2, 6, 5, 3, -1]),
      weights: new Float32Array([1, 0.5, 0, 2, 0, 1, 1, 0, 1, 0]),
      batch: 2,
      seqLen: 5,
    };
    const model = new GpuLlama(gpu!, config, p32);
    const { records } = model.lossAndGradWithRecords(deviceBatch(gpu!, host), { layers: LAYERS });
    assert.deepEqual([...records.keys()], LAYERS);
    const ref = llamaLossAndGradients(config, p64, TOKENS, {
      labels: host.labels,
      weights: Float64Array.from(host.weights),
    });
    // DW = Σ_t g_t a_tᵀ = gᵀ·a on the device, against the model's own weight gradient.
    const products = LAYERS.map((name) => Tensor.zeros(gpu!, model.grads.get(name)!.shape));
    LAYERS.forEach((name, i) =>
      matmul(records.get(name)!.g, records.get(name)!.a, products[i], { transA: true })
    );
    const values = await readTensors(
      ...LAYERS.flatMap((name) => [records.get(name)!.a, records.get(name)!.g]),
      ...products,
      ...LAYERS.map((name) => model.grads.get(name)!),
    );
    LAYERS.forEach((name, i) => {
      const expected = ref.records.get(name)!;
      assertGradClose(values[2 * i], expected.a, `${name} a`);
      assertGradClose(values[2 * i + 1], expected.g, `${name} g`);
      const grad = values[3 * LAYERS.length + i];
      assertClose(values[2 * LAYERS.length + i], grad, { atol: 1e-6, rtol: 1e-5 }, `${name} Σ g aᵀ`);
    });
    model.destroy();
  },
});

Deno.test({
  name:
    "lossAndGradWithRecords() samples labels bit-identical to the CPU reference and can skip weight gradients",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const { p32, p64 } = paramsFor(config, 6);
    const host = randomBatch(config.vocabSize, 2, 40, 3);
    const model = new GpuLlama(gpu!, config, p32);
    const b = deviceBatch(gpu!, host);
    const logits = await model.forward(b.ids, host.batch, host.seqLen).read();
    const sample = { seed: 2 ** 33 + 17, draw: 2 };
    const result = model.lossAndGradWithRecords(b, { layers: [LM_HEAD], paramGrads: false, sample });
    const [labels, loss, g, ...grads] = await readTensors(
      result.labels,
      result.loss,
      result.records.get(LM_HEAD)!.g,
      ...model.grads.values(),
    );
    const n = host.batch * host.seqLen;
    const expected = sampleLabelsCpu(logits as Float32Array, n, config.vocabSize, sample, host.labels);
    assert.deepEqual(labels, expected);
    assert.ok(grads.every((t) => t.every((v) => v === 0)), "weight gradients untouched");
    const ref = llamaLossAndGradients(config, p64, host, {
      labels: expected,
      weights: Float64Array.from(host.weights),
    });
    assertClose(loss, [ref.loss], { atol: 0, rtol: 1e-5 }, "loss with sampled labels");
    assertGradClose(g, ref.records.get(LM_HEAD)!.g, "lm_head g with sampled labels");
    model.destroy();
  },
});

Deno.test({
  name:
    "lossAndGradWithRecords() without weight gradients stops below the lowest recorded layer, records unchanged",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const { p32 } = paramsFor(config, 7);
    const host = randomBatch(config.vocabSize, 2, 33, 4);
    const model = new GpuLlama(gpu!, config, p32);
    const b = deviceBatch(gpu!, host);
    const top = config.numHiddenLayers - 1;
    const mlp = [linearName(top, "gate_proj"), linearName(top, "up_proj"), linearName(top, "down_proj")];
    const run = async (layers: string[]) => {
      const before = gpu!.stats.dispatches;
      const { records } = model.lossAndGradWithRecords(b, { layers, paramGrads: false });
      const dispatches = gpu!.stats.dispatches - before;
      const read = await readTensors(...mlp.flatMap((n) => [records.get(n)!.a, records.get(n)!.g]));
      return { dispatches, bits: read.map((t) => [...new Uint32Array(t.buffer)]) };
    };
    // The top layer's MLP alone: the pass ends after its gate/up records. With layer 0's q_proj as
    // well it runs through every block's attention, and the top MLP's records must not change.
    const short = await run(mlp);
    const full = await run([...mlp, linearName(0, "q_proj")]);
    assert.deepEqual(short.bits, full.bits);
    assert.ok(short.dispatches < full.dispatches, `${short.dispatches} vs ${full.dispatches} dispatches`);
    model.destroy();
  },
});

Deno.test({
  name:
    "lossAndGradWithRecords() with named weight gradients: the same bits as a whole pass, in fewer dispatches",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const { p32 } = paramsFor(config, 8);
    const model = new GpuLlama(gpu!, config, p32);
    const b = deviceBatch(gpu!, randomBatch(config.vocabSize, 3, 21, 5));
    const all = [...model.grads.keys()];
    const bits = (t: ArrayLike<number> & { buffer: ArrayBufferLike }) => [...new Uint32Array(t.buffer)];
    // Every gradient zeroed first, then one pass: the loss, every gradient and the dispatches it took.
    const run = async (paramGrads: boolean | ReadonlySet<string>) => {
      for (const g of model.grads.values()) g.write(new Float32Array(g.size));
      const before = gpu!.stats.dispatches;
      const { loss } = model.lossAndGradWithRecords(b, { layers: [], paramGrads });
      const dispatches = gpu!.stats.dispatches - before;
      const [l, ...grads] = await readTensors(loss, ...all.map((n) => model.grads.get(n)!));
      return { dispatches, loss: bits(l), grads: new Map(all.map((n, i) => [n, bits(grads[i])])) };
    };
    const whole = await run(true);
    for (
      const named of [
        [0, 1].flatMap((
          l,
        ) => [linearName(l, "gate_proj"), linearName(l, "up_proj"), linearName(l, "down_proj")]),
        [LM_HEAD, linearName(1, "o_proj")],
      ]
    ) {
      const some = await run(new Set(named));
      assert.deepEqual(some.loss, whole.loss);
      for (const name of all) {
        if (named.includes(name)) assert.deepEqual(some.grads.get(name), whole.grads.get(name), name);
        else assert.ok(some.grads.get(name)!.every((v) => v === 0), `${name} left as it was`);
      }
      assert.ok(some.dispatches < whole.dispatches, `${some.dispatches} vs ${whole.dispatches} dispatches`);
    }
    assert.throws(
      () => model.lossAndGradWithRecords(b, { layers: [], paramGrads: new Set(["model.norm.weight"]) }),
      /^RangeError: Cannot form the gradient of "model.norm.weight" alone: not an untied linear weight/,
    );
    model.destroy();
  },
});
