import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import {
  crossEntropy,
  type CrossEntropyForm,
  crossEntropyVec4Fits,
} from "../../engine/kernels/cross_entropy.ts";
import { crossEntropyBackward, crossEntropyForward } from "../../engine/reference/cross_entropy.ts";
import { assertClose, bits, hasAdapter, randomArray, rng, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const TOL = { atol: 1e-5, rtol: 1e-5 };

/** The forms crossEntropy() can take for rows × vocab logits (the texture ones need rows·vocab ≡ 0 mod 4). */
function formsFor(rows: number, vocab: number): CrossEntropyForm[] {
  const forms: CrossEntropyForm[] = ["buffer"];
  if ((rows * vocab) % 4 === 0) forms.push("texture");
  if (crossEntropyVec4Fits(vocab)) forms.push("texture_vec4");
  return forms;
}

/** crossEntropy() in `form` on random rows × vocab logits against the f64 reference. */
async function checkAgainstReference(rows: number, vocab: number, form: CrossEntropyForm): Promise<void> {
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
    form,
  );
  const [rowLoss, logProbs, loss, dLogits] = await readTensors(
    out.rowLoss,
    out.logProbs,
    out.loss,
    out.dLogits,
  );
  const w64 = Float64Array.from(weights);
  const ref = crossEntropyForward(Float64Array.from(logits), labels, w64, rows, vocab);
  const what = `${rows}×${vocab} ${form}`;
  assertClose(logProbs, ref.logProbs, TOL, `logProbs ${what}`);
  assertClose(rowLoss, Float64Array.from(ref.logProbs, (lp, r) => -w64[r] * lp), TOL, `rowLoss ${what}`);
  assertClose(loss, [ref.loss], { atol: 1e-4, rtol: 1e-5 }, `loss ${what}`);
  assertClose(dLogits, crossEntropyBackward(ref.probs, labels, w64, rows, vocab), TOL, `dLogits ${what}`);
}

// The f64 reference backward is checked against central finite differences in
// tests/engine/reference/cross_entropy_test.ts.
Deno.test({
  name: "crossEntropy() matches the f64 reference loss, log-probs and logit gradient with masks and weights",
  ignore: !hasAdapter,
  fn: async () => {
    // Every form, forced: the three passes from the buffer and from the texture copy, and the one-pass
    // vec4 kernel (vocabularies that are multiples of 4 up to one part: 100, 1200 as the number-token
    // proxies, 4096 exactly one part).
    for (const [rows, vocab] of [[10, 11], [70, 3], [1300, 100], [40, 1200], [9, 4], [5, 4096]]) {
      for (const form of formsFor(rows, vocab)) {
        await checkAgainstReference(rows, vocab, form);
      }
    }
  },
});

Deno.test({
  name: "crossEntropy() gives the same bits in every form: buffer, flat texture copy, one-pass vec4",
  ignore: !hasAdapter,
  fn: async () => {
    // CPU rasterisers read a texture copy when rows·vocab is a multiple of 4, in one vec4 pass when the
    // vocabulary is a multiple of 4 of one part (100, 4, 1200: the number-token proxies, 4096: the
    // largest); vocab 9000 has three parts in the first pass, 4100 two (no vec4 form), 7 and 11 odd.
    const shapes = [
      [70, 100],
      [9, 4],
      [1300, 100],
      [40, 1200],
      [5, 4096],
      [6, 9000],
      [4, 4100],
      [12, 7],
      [7, 11],
    ];
    for (const [rows, vocab] of shapes) {
      const next = rng(rows + vocab);
      const logits = Tensor.from(gpu!, randomArray(rows * vocab, 3).map((v) => v * 8), [rows, vocab]);
      const labels = Tensor.from(
        gpu!,
        Int32Array.from({ length: rows }, (_, r) => (r % 5 === 4 ? -1 : Math.floor(next() * vocab))),
      );
      const weights = Tensor.from(gpu!, Float32Array.from({ length: rows }, () => next()));
      const forms = formsFor(rows, vocab);
      const outs = forms.map((form) => {
        const out = {
          rowLoss: Tensor.zeros(gpu!, [rows]),
          logProbs: Tensor.zeros(gpu!, [rows]),
          dLogits: Tensor.zeros(gpu!, [rows, vocab]),
        };
        crossEntropy(logits, labels, weights, out, form);
        return readTensors(out.rowLoss, out.logProbs, out.dLogits);
      });
      const [x, ...others] = await Promise.all(outs);
      others.forEach((y, k) => {
        for (let i = 0; i < 3; i++) {
          assert.deepEqual(bits(x[i]), bits(y[i]), `${rows}×${vocab} ${forms[k + 1]} output ${i}`);
        }
      });
    }
  },
});

Deno.test({
  name:
    "crossEntropy() without a gradient gives the same bits in every form; texture_vec4 refuses other vocabularies",
  ignore: !hasAdapter,
  fn: async () => {
    const rows = 257, vocab = 1200;
    const next = rng(5);
    const logits = Tensor.from(gpu!, randomArray(rows * vocab, 7).map((v) => v * 8), [rows, vocab]);
    const labels = Tensor.from(gpu!, Int32Array.from({ length: rows }, () => Math.floor(next() * vocab)));
    const weights = Tensor.from(gpu!, Float32Array.from({ length: rows }, () => next()));
    const outs = formsFor(rows, vocab).map((form) => {
      const out = { rowLoss: Tensor.zeros(gpu!, [rows]), logProbs: Tensor.zeros(gpu!, [rows]) };
      crossEntropy(logits, labels, weights, out, form);
      return readTensors(out.rowLoss, out.logProbs);
    });
    assert.equal(outs.length, 3);
    const [x, ...others] = await Promise.all(outs);
    for (const y of others) {
      for (let i = 0; i < 2; i++) assert.deepEqual(bits(x[i]), bits(y[i]), `output ${i}`);
    }
    for (const bad of [4100, 1202]) {
      const t = Tensor.zeros(gpu!, [2, bad]);
      const out = { rowLoss: Tensor.zeros(gpu!, [2]), logProbs: Tensor.zeros(gpu!, [2]) };
      const two = Tensor.from(gpu!, Int32Array.from([0, 1]));
      assert.throws(
        () => crossEntropy(t, two, Tensor.zeros(gpu!, [2]), out, "texture_vec4"),
        new RegExp(`texture_vec4 needs a vocabulary .* got ${bad}`),
      );
    }
  },
});

// Vocabularies of real checkpoints: several parts per row, rows·vocab past what one invocation may
// loop over on a CPU rasteriser (65535 iterations), an odd size (128,257: the buffer form) and the
// largest (Gemma's 256,000).
Deno.test({
  name: "crossEntropy() matches the f64 reference at vocabularies of 32,000, 128,257 and 256,000",
  ignore: !hasAdapter,
  fn: async () => {
    for (const vocab of [32_000, 128_257, 256_000]) {
      const rows = 7;
      const next = rng(vocab);
      const logits = randomArray(rows * vocab, 5).map((v) => v * 8);
      // Labels in the last part, the first, and the middle; one row without a target, one weight 0.
      const labels = Int32Array.from([vocab - 1, 0, -1, Math.floor(vocab / 2), 4097, vocab - 4096, 77]);
      const weights = Float32Array.from({ length: rows }, (_, r) => (r === 4 ? 0 : 0.5 + next()));
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
      const [logProbs, loss, dLogits] = await readTensors(out.logProbs, out.loss, out.dLogits);
      const w64 = Float64Array.from(weights);
      const ref = crossEntropyForward(Float64Array.from(logits), labels, w64, rows, vocab);
      assertClose(logProbs, ref.logProbs, TOL, `logProbs ${vocab}`);
      assertClose(loss, [ref.loss], { atol: 1e-4, rtol: 1e-5 }, `loss ${vocab}`);
      const expected = crossEntropyBackward(ref.probs, labels, w64, rows, vocab);
      assertClose(dLogits, expected, TOL, `dLogits ${vocab}`);
      // Each row of the gradient sums to weight·(1 − 1) = 0 (a part left out would show here).
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += dLogits[r * vocab + v];
        assert.ok(Math.abs(sum) < 1e-5, `row ${r} of ${vocab} sums to ${sum}`);
      }
    }
  },
});
