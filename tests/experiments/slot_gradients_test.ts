import assert from "node:assert/strict";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { recordSequenceGradients } from "../../engine/influence/gpu/sequence_gradients.ts";
import { resolveTrackedLayers } from "../../engine/influence/tracked_layers.ts";
import { linearName } from "../../engine/model/param_names.ts";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { nextTokenLabels } from "../../engine/reference/cross_entropy.ts";
import { uploadSequences } from "../../experiments/influence/device_batch.ts";
import { midConfig, paramsFor } from "../engine/llama/llama_fixture.ts";
import { hasAdapter, rng, testGpu } from "../engine/support.ts";

const gpu = hasAdapter ? await testGpu() : null;

Deno.test({
  name:
    "per-document gradients summed over whole padded slots equal the per-document sums (scores stage layout)",
  ignore: !hasAdapter,
  fn: async () => {
    const config = midConfig();
    const llama = new GpuLlama(gpu!, config, paramsFor(config, 3).p32);
    const next = rng(9);
    // Lengths 12, 7, 9, 12: padded to slots of 16 rows; the two 12s also form an equal-length run.
    const rows = [12, 7, 9, 12].map((n) =>
      Int32Array.from({ length: n }, () => Math.floor(next() * config.vocabSize))
    );
    const batch = uploadSequences(gpu!, rows, (r) => nextTokenLabels(rows[r], 1, rows[r].length));
    const slot = batch.batch.seqLen;
    assert.equal(slot, 16);
    const names = [0, 1].flatMap((l) =>
      ["gate_proj", "up_proj", "down_proj"].map((m) => linearName(l, m as "up_proj"))
    );
    const layers = resolveTrackedLayers(config, names);
    const out = llama.lossAndGradWithRecords(batch.batch, { layers: names, paramGrads: false });
    const results: Tensor[] = [];
    for (const layer of layers) {
      const record = out.records.get(layer.name)!;
      const perSequence = Tensor.zeros(gpu!, [rows.length, layer.outDim * layer.inDim]);
      const bySlot = Tensor.zeros(gpu!, [rows.length, layer.outDim * layer.inDim]);
      const misfit = Tensor.zeros(gpu!, [rows.length, layer.outDim * layer.inDim]);
      recordSequenceGradients(layer, record, batch.sequences, perSequence);
      recordSequenceGradients(layer, record, batch.sequences, bySlot, 0, slot);
      // A slot size the layout does not follow falls back to per-sequence sums.
      recordSequenceGradients(layer, record, batch.sequences, misfit, 0, slot - 1);
      results.push(perSequence, bySlot, misfit);
    }
    const host = await readTensors(...results);
    for (let l = 0; l < layers.length; l++) {
      const [perSequence, bySlot, misfit] = host.slice(3 * l, 3 * l + 3);
      assert.ok(perSequence.some((v) => v !== 0), `${layers[l].name}: gradients are not all zero`);
      // Padded rows add exact zeros: equal values (only the sign of a zero may differ).
      const differs = perSequence.findIndex((v, i) => v !== bySlot[i] || v !== misfit[i]);
      assert.equal(differs, -1, `${layers[l].name}: element ${differs}`);
    }
    for (const t of results) t.destroy();
    batch.destroy();
    llama.destroy();
  },
});
