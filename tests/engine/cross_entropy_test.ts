import assert from "node:assert/strict";
import { linearGrid, Params, readTensors, Tensor } from "../../engine/mod.ts";
import { crossEntropy, crossEntropyKernel } from "../../engine/kernels/cross_entropy.ts";
import { crossEntropyBackward, crossEntropyForward } from "../../engine/reference/cross_entropy.ts";
import { assertClose, bits, hasAdapter, randomArray, rng, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const TOL = { atol: 1e-5, rtol: 1e-5 };

// The f64 reference backward is checked against central finite differences in
// tests/engine/reference/cross_entropy_test.ts.
Deno.test({
  name: "crossEntropy() matches the f64 reference loss, log-probs and logit gradient with masks and weights",
  ignore: !hasAdapter,
  fn: async () => {
    for (const [rows, vocab] of [[10, 11], [70, 3], [1300, 100]]) {
      const next = rng(rows);
      const logits = randomArray(rows * vocab, 2).map((v) => v * 8);
      // Every 5th row has no target; some weights are 0.
      const labels = Int32Array.from(
        { length: rows },
        (_, r) => (r % 5 === 4 ? -1 : Math.floor(next() * vocab)),
      );
      const weights = Float32Array.from({ length: rows }, (_, r) => (r % 7 === 3 ? 0 : next() * 2));
      const out = {
        rowLoss: Tensor.zeros(gpu!, [rows]),
        logProbs: Tensor.zeros(gpu!, [rows]),
        loss: Tensor.zeros(gpu!, [1]),
        dLogits: Tensor.zeros(gpu!, [rows, vocab]),
      };
      crossEntropy(
        Tensor.from(gpu!, logits, [rows, vocab]),
        Tensor.from(gpu!, labels),
        Tensor.from(gpu!, weights),
        out,
      );
      const [rowLoss, logProbs, loss, dLogits] = await readTensors(
        out.rowLoss,
        out.logProbs,
        out.loss,
        out.dLogits,
      );
      const w64 = Float64Array.from(weights);
      const ref = crossEntropyForward(Float64Array.from(logits), labels, w64, rows, vocab);
      const what = `${rows}×${vocab}`;
      assertClose(logProbs, ref.logProbs, TOL, `logProbs ${what}`);
      assertClose(rowLoss, Float64Array.from(ref.logProbs, (lp, r) => -w64[r] * lp), TOL, `rowLoss ${what}`);
      assertClose(loss, [ref.loss], { atol: 1e-4, rtol: 1e-5 }, `loss ${what}`);
      assertClose(dLogits, crossEntropyBackward(ref.probs, labels, w64, rows, vocab), TOL, `dLogits ${what}`);
    }
  },
});

Deno.test({
  name: "crossEntropy() reading the logits from a texture copy matches the buffer kernel bit for bit",
  ignore: !hasAdapter,
  fn: async () => {
    // On CPU rasterisers crossEntropy() takes cross_entropy_texture.wgsl when rows·vocab is a multiple
    // of 4; the buffer kernel dispatched directly must give the same bits (also rows·vocab odd: both
    // are then the buffer kernel).
    for (const [rows, vocab] of [[70, 100], [9, 4], [1300, 100], [7, 11]]) {
      const next = rng(rows + vocab);
      const logits = Tensor.from(gpu!, randomArray(rows * vocab, 3).map((v) => v * 8), [rows, vocab]);
      const labels = Tensor.from(
        gpu!,
        Int32Array.from({ length: rows }, (_, r) => (r % 5 === 4 ? -1 : Math.floor(next() * vocab))),
      );
      const weights = Tensor.from(gpu!, Float32Array.from({ length: rows }, () => next()));
      const outs = [0, 1].map(() => ({
        rowLoss: Tensor.zeros(gpu!, [rows]),
        logProbs: Tensor.zeros(gpu!, [rows]),
        dLogits: Tensor.zeros(gpu!, [rows, vocab]),
      }));
      crossEntropy(logits, labels, weights, outs[0]);
      gpu!.dispatch(crossEntropyKernel, {
        constants: { GRAD: true },
        params: new Params().u32(rows, vocab),
        resources: [
          logits.buffer,
          labels.buffer,
          weights.buffer,
          outs[1].rowLoss.buffer,
          outs[1].logProbs.buffer,
          outs[1].dLogits.buffer,
        ],
        workgroups: linearGrid(gpu!, rows),
      });
      const [a, b] = [0, 1].map((k) => readTensors(outs[k].rowLoss, outs[k].logProbs, outs[k].dLogits));
      const [x, y] = [await a, await b];
      for (let i = 0; i < 3; i++) assert.deepEqual(bits(x[i]), bits(y[i]), `${rows}×${vocab} output ${i}`);
    }
  },
});
