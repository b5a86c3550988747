import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../../engine/mod.ts";
import { makeBatch } from "../../../engine/train/make_batch.ts";
import { assertClose, hasAdapter, testGpu } from "../support.ts";
import { EMBED, GAIN, tinyCorpus, tinyLossAndGradCpu, TinyModel, tinyParams } from "./tiny_model.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const [V, D] = [12, 4];
const batch = makeBatch(tinyCorpus(6, V), [0, 3, 5]);

Deno.test("tinyLossAndGradCpu() gradients match central finite differences", () => {
  const params = new Map([...tinyParams(V, D, 1)].map(([k, v]) => [k, Float64Array.from(v)]));
  const { grads } = tinyLossAndGradCpu(params, V, D, batch.ids, batch.labels, batch.weights);
  const h = 1e-6;
  for (const [name, index] of [[EMBED, 0], [EMBED, 17], [EMBED, V * D - 1], [GAIN, 2]] as const) {
    const p = params.get(name)!, keep = p[index];
    p[index] = keep + h;
    const up = tinyLossAndGradCpu(params, V, D, batch.ids, batch.labels, batch.weights).loss;
    p[index] = keep - h;
    const down = tinyLossAndGradCpu(params, V, D, batch.ids, batch.labels, batch.weights).loss;
    p[index] = keep;
    assertClose(
      [grads.get(name)![index]],
      [(up - down) / (2 * h)],
      { atol: 1e-7, rtol: 1e-5 },
      `${name}[${index}]`,
    );
  }
});

Deno.test({
  name: "TinyModel.lossAndGrad() matches the CPU reference and overwrites the gradients",
  ignore: !hasAdapter,
  fn: async () => {
    const model = new TinyModel(gpu!, V, D, 1);
    const [ids, labels, weights] = [batch.ids, batch.labels, batch.weights].map((a) => Tensor.from(gpu!, a));
    const b = { ids, labels, weights, batch: batch.batch, seqLen: batch.seqLen };
    model.lossAndGrad(b);
    const loss = model.lossAndGrad(b); // a second call must not accumulate
    const [l, gE, gG] = await readTensors(loss, model.grads.get(EMBED)!, model.grads.get(GAIN)!);
    const ref = tinyLossAndGradCpu(tinyParams(V, D, 1), V, D, batch.ids, batch.labels, batch.weights);
    assert.ok(ref.loss > 1, "loss of an untrained model is a few nats");
    assertClose(l, [ref.loss], { atol: 0, rtol: 1e-5 }, "loss");
    assertClose(gE, ref.grads.get(EMBED)!, { atol: 1e-6, rtol: 1e-4 }, "embedding gradient");
    assertClose(gG, ref.grads.get(GAIN)!, { atol: 1e-6, rtol: 1e-4 }, "gain gradient");
  },
});
