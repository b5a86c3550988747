import { readTensors, Tensor } from "../../engine/mod.ts";
import { crossEntropy } from "../../engine/kernels/cross_entropy.ts";
import { crossEntropyBackward, crossEntropyForward } from "../../engine/reference/cross_entropy.ts";
import { assertClose, hasAdapter, randomArray, rng, testGpu } from "./support.ts";

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
