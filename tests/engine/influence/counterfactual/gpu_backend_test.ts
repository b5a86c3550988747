import assert from "node:assert/strict";
import { trackedLayerNames } from "../../../../engine/influence/tracked_layers.ts";
import {
  type FineTuneBackend,
  GpuBackend,
  measureChange,
  pbrfCurvature,
  ReferenceBackend,
} from "../../../../engine/influence/counterfactual/mod.ts";
import type { ReferenceModel } from "../../../../engine/influence/cpu/reference_model.ts";
import { hasAdapter, testGpu } from "../../support.ts";
import { microModel, randomSequences } from "../micro_model.ts";

const gpu = hasAdapter ? await testGpu() : null;
// Weights rounded to f32, so both backends start from the same model.
const micro = microModel({ hidden: 16, intermediate: 24, vocab: 13 }, 4, 0.3);
const model: ReferenceModel = {
  config: micro.config,
  params: new Map([...micro.params].map(([name, w]) => [name, Float64Array.from(Float32Array.from(w))])),
};
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
// Uneven lengths: padding must not change anything.
const fit = [...randomSequences(6, "fit", 3, 9, vocab), ...randomSequences(6, "fit2", 2, 14, vocab)];
const documents = [...randomSequences(6, "docs", 2, 10, vocab), ...randomSequences(6, "docs2", 1, 5, vocab)];
const queries = randomSequences(6, "queries", 3, 8, vocab).map((ids) => ({
  prompt: ids.slice(0, 5),
  completion: ids.slice(5),
}));

function maxRelative(a: ReadonlyMap<string, Float64Array>, b: ReadonlyMap<string, Float64Array>): number {
  let diff = 0, scale = 0;
  for (const [name, x] of b) {
    const y = a.get(name)!;
    for (let k = 0; k < x.length; k++) {
      diff = Math.max(diff, Math.abs(x[k] - y[k])), scale = Math.max(scale, Math.abs(x[k]));
    }
  }
  return diff / scale;
}

async function displaced(backend: FineTuneBackend): Promise<void> {
  backend.setTracked(
    new Map([...backend.final].map(([n, w]) => [n, w.map((x, k) => x + 0.01 * Math.sin(k))])),
  );
  await Promise.resolve();
}

Deno.test({
  name:
    "GpuBackend matches the float64 reference: measurements, document and proximity gradients, fine-tunes",
  ignore: !hasAdapter,
  async fn() {
    const reference = new ReferenceBackend(model, tracked, fit);
    const device = await GpuBackend.create(
      gpu!,
      model.config,
      new Map([...model.params].map(([n, w]) => [n, Float32Array.from(w)])),
      tracked,
      fit,
    );
    try {
      const fRef = await reference.measure(queries), fGpu = await device.measure(queries);
      fRef.forEach((f, q) =>
        assert.ok(Math.abs(f - fGpu[q]) < 1e-4 * Math.abs(f), `f of query ${q}: ${fGpu[q]} vs ${f}`)
      );
      const docRef = await reference.documentsLoss(documents), docGpu = await device.documentsLoss(documents);
      assert.ok(Math.abs(docRef.value - docGpu.value) < 1e-4 * docRef.value);
      assert.ok(maxRelative(docGpu.gradient, docRef.gradient) < 1e-4, "document gradient");
      // At the final weights the proximity term and its gradient are exactly zero on both.
      const zero = await device.proximity();
      assert.equal(zero.value, 0);
      for (const g of zero.gradient.values()) assert.ok(g.every((x) => x === 0));
      await displaced(reference);
      await displaced(device);
      const proxRef = await reference.proximity(), proxGpu = await device.proximity();
      assert.ok(proxRef.value > 0 && Math.abs(proxRef.value - proxGpu.value) < 1e-2 * proxRef.value);
      assert.ok(maxRelative(proxGpu.gradient, proxRef.gradient) < 1e-3, "proximity gradient");
      reference.setTracked(reference.final);
      device.setTracked(device.final);
      // A gradient fine-tune and a PBRF fine-tune change f alike on both.
      const gradient = { protocol: "gradient" as const, lr: 1e-3, steps: 2 };
      const a = await measureChange(reference, documents, queries, fRef, gradient);
      const b = await measureChange(device, documents, queries, fGpu, gradient);
      a.change.forEach((c, q) =>
        assert.ok(
          Math.abs(c - b.change[q]) < 1e-3 * Math.abs(c) + 2e-5,
          `gradient Δf ${q}: ${b.change[q]} vs ${c}`,
        )
      );
      const damping = new Map(tracked.map((name) => [name, 0.05]));
      const curvature = await pbrfCurvature(reference, damping);
      const pbrf = { protocol: "pbrf" as const, epsilon: 1e-3, iterations: 60, damping };
      const c = await measureChange(reference, documents, queries, fRef, pbrf, curvature);
      const d = await measureChange(
        device,
        documents,
        queries,
        fGpu,
        pbrf,
        await pbrfCurvature(device, damping),
      );
      c.change.forEach((x, q) =>
        assert.ok(
          Math.abs(x - d.change[q]) < 0.02 * Math.abs(x) + 2e-5,
          `pbrf Δf ${q}: ${d.change[q]} vs ${x}`,
        )
      );
      // Deterministic: the same fine-tune again gives the same numbers.
      const again = await measureChange(device, documents, queries, fGpu, gradient);
      assert.deepEqual(again.change, b.change);
    } finally {
      device.destroy();
    }
  },
});
