import assert from "node:assert/strict";
import { GpuLlama } from "../../../engine/llama/mod.ts";
import { readTensors, Tensor } from "../../../engine/mod.ts";
import { llamaForward } from "../../../engine/reference/llama_forward.ts";
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

const TINY_BATCH = {
  ids: TOKENS.ids,
  labels: new Int32Array([1, 4, 1, 5, -1, 2, 6, 5, 3, -1]),
  weights: new Float32Array([1, 0.5, 0, 2, 0, 1, 1, 0, 1, 0]),
  batch: 2,
  seqLen: 5,
};

// The f64 reference (llamaLossAndGradients) is checked against central finite differences for every
// parameter in tests/engine/reference/llama_gradient_test.ts.
for (const tied of [false, true]) {
  Deno.test({
    name: `GpuLlama.lossAndGrad() matches the f64 reference loss and every gradient (tiny, ${
      tied ? "tied" : "untied"
    })`,
    ignore: !hasAdapter,
    fn: async () => {
      const config = tinyConfig(tied);
      const { p32, p64 } = paramsFor(config);
      const model = new GpuLlama(gpu!, config, p32);
      assert.deepEqual([...model.params.keys()], [...p32.keys()]);
      const loss = model.lossAndGrad(deviceBatch(gpu!, TINY_BATCH));
      const ref = llamaLossAndGradients(config, p64, TOKENS, {
        labels: TINY_BATCH.labels,
        weights: Float64Array.from(TINY_BATCH.weights),
      });
      const [gotLoss, ...grads] = await readTensors(loss, ...model.grads.values());
      assertClose(gotLoss, [ref.loss], { atol: 0, rtol: 1e-6 }, "loss");
      [...model.grads.keys()].forEach((name, i) => assertGradClose(grads[i], ref.grads.get(name)!, name));
      model.destroy();
    },
  });
}

Deno.test({
  name: "GpuLlama.lossAndGrad() matches the f64 reference past one workgroup of rows (B 3, T 70, GQA 4/2)",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const { p32, p64 } = paramsFor(config, 3);
    const host = randomBatch(config.vocabSize, 3, 70, 5);
    const model = new GpuLlama(gpu!, config, p32);
    const loss = model.lossAndGrad(deviceBatch(gpu!, host));
    const ref = llamaLossAndGradients(config, p64, host, {
      labels: host.labels,
      weights: Float64Array.from(host.weights),
    });
    const [gotLoss, ...grads] = await readTensors(loss, ...model.grads.values());
    assertClose(gotLoss, [ref.loss], { atol: 0, rtol: 1e-5 }, "loss");
    [...model.grads.keys()].forEach((name, i) => assertGradClose(grads[i], ref.grads.get(name)!, name));
    model.destroy();
  },
});

Deno.test({
  name: "GpuLlama.forward() and evaluate() match the f64 reference logits and log-probabilities",
  ignore: !hasAdapter,
  fn: async () => {
    const config = tinyConfig(false);
    const { p32, p64 } = paramsFor(config);
    const model = new GpuLlama(gpu!, config, p32);
    const b = deviceBatch(gpu!, TINY_BATCH);
    const logits = await model.forward(b.ids, 2, 5).read();
    assertClose(logits, llamaForward(config, p64, TOKENS).logits, { atol: 1e-5, rtol: 1e-5 }, "logits");
    const { loss, logProbs } = model.evaluate(b);
    const ref = llamaLossAndGradients(config, p64, TOKENS, {
      labels: TINY_BATCH.labels,
      weights: Float64Array.from(TINY_BATCH.weights),
    });
    const [gotLoss, gotLogProbs] = await readTensors(loss, logProbs);
    assertClose(gotLoss, [ref.loss], { atol: 0, rtol: 1e-6 }, "loss");
    assertClose(gotLogProbs, ref.logProbs, { atol: 1e-5, rtol: 1e-5 }, "logProbs");
    model.destroy();
  },
});

Deno.test({
  name: "GpuLlama.lossAndGrad() is bit-identical when repeated and overwrites the gradients",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const model = new GpuLlama(gpu!, config, paramsFor(config, 4).p32);
    const b = deviceBatch(gpu!, randomBatch(config.vocabSize, 2, 67, 9));
    const run = async () => {
      const loss = model.lossAndGrad(b);
      const values = await readTensors(loss, ...model.grads.values());
      return values.map((v) => new Uint32Array(v.buffer));
    };
    const first = await run();
    const second = await run(); // grads overwritten, not accumulated
    assert.deepEqual(second, first);
    model.destroy();
  },
});

Deno.test({
  name: "GpuLlama rejects head widths that are not multiples of 4 and mismatched batches",
  ignore: !hasAdapter,
  fn: () => {
    const config = {
      ...tinyConfig(false),
      hiddenSize: 12,
      numAttentionHeads: 2,
      numKeyValueHeads: 1,
      headDim: 6,
    };
    assert.throws(() => new GpuLlama(gpu!, config, new Map()), /multiple of 4/);
    const tiny = tinyConfig(false);
    const model = new GpuLlama(gpu!, tiny, paramsFor(tiny).p32);
    const b = deviceBatch(gpu!, TINY_BATCH);
    assert.throws(() => model.lossAndGrad({ ...b, seqLen: 4 }), /batch·seqLen = 8/);
    assert.throws(() => model.lossAndGrad({ ...b, labels: Tensor.zeros(gpu!, [10]) }), /labels must be i32/);
    model.destroy();
  },
});
