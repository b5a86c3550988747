import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";
import {
  eigendecomposeCovariances,
  exactGaussNewton,
  fitCovariances,
  fitLambda,
  toEigenbasis,
} from "../../../engine/influence/cpu/mod.ts";
import { trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import { llamaBackward } from "../../../engine/reference/llama_backward.ts";
import { llamaLoss, llamaLossAndGradients } from "../../../engine/reference/llama_loss.ts";
import { nextTokenLabels } from "../../../engine/reference/cross_entropy.ts";
import { microModel, randomSequences, relativeDifference, sampleLabels } from "./micro_model.ts";

const model = microModel({ hidden: 4, intermediate: 6 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const fit = [...randomSequences(8, "fit", 3, 5, vocab), ...randomSequences(8, "short", 1, 3, vocab)];
const batch = (ids: Int32Array) => ({ ids, batch: 1, seqLen: ids.length });

Deno.test("fitCovariances() averages a aᵀ and g gᵀ over the positions that carry a label", () => {
  const labels = sampleLabels(model, fit, new Rng(8, "labels"));
  labels[0][1] = -1; // a masked position is left out of A and S and of T
  const covariances = fitCovariances(model, fit, labels, tracked);
  const name = "model.layers.1.mlp.down_proj.weight";
  const c = covariances.get(name)!;
  const a = new Float64Array(c.inDim ** 2), s = new Float64Array(c.outDim ** 2);
  let tokens = 0;
  fit.forEach((ids, i) => {
    const { records } = llamaLossAndGradients(model.config, model.params, batch(ids), { labels: labels[i] });
    const r = records.get(name)!;
    for (let t = 0; t < ids.length; t++) {
      if (labels[i][t] < 0) continue;
      tokens++;
      for (let p = 0; p < r.inDim; p++) {
        for (let q = 0; q < r.inDim; q++) a[p * r.inDim + q] += r.a[t * r.inDim + p] * r.a[t * r.inDim + q];
      }
      for (let p = 0; p < r.outDim; p++) {
        for (let q = 0; q < r.outDim; q++) {
          s[p * r.outDim + q] += r.g[t * r.outDim + p] * r.g[t * r.outDim + q];
        }
      }
    }
  });
  assert.deepEqual([c.tokens, c.sequences, c.blocks], [tokens, 4, 1]);
  assert.equal(tokens, 3 * 4 + 2 - 1);
  assert.ok(relativeDifference(c.a, a.map((v) => v / tokens)) < 1e-14);
  assert.ok(relativeDifference(c.s, s.map((v) => v / tokens)) < 1e-14);
  assert.deepEqual([...covariances.keys()], tracked);
});

Deno.test("fitCovariances() and fitLambda() reject labels that do not match the sequences", () => {
  const labels = fit.map((ids) => nextTokenLabels(ids, 1, ids.length));
  assert.throws(() => fitCovariances(model, fit, labels.slice(1), tracked), /3 label arrays for 4 sequences/);
  assert.throws(() => fitLambda(model, fit, [labels[0], labels[1], labels[2], labels[0]], tracked), /labels/);
  assert.throws(() => fitCovariances(model, fit, labels, ["model.layers.2.mlp.up_proj.weight"]), RangeError);
});

/** G built independently: Σ_t J_tᵀ (diag p − ppᵀ) J_t / N_seq from unit-logit Jacobian rows. */
function gaussNewtonFromJacobians(sequences: readonly Int32Array[]): Float64Array {
  const sizes = tracked.map((name) => model.params.get(name)!.length);
  const size = sizes.reduce((a, b) => a + b);
  const g = new Float64Array(size * size);
  for (const ids of sequences) {
    const { acts, probs } = llamaLoss(model.config, model.params, batch(ids));
    for (let t = 0; t + 1 < ids.length; t++) {
      const jacobian = Array.from({ length: vocab }, (_, v) => {
        const dLogits = new Float64Array(ids.length * vocab);
        dLogits[t * vocab + v] = 1;
        const { grads } = llamaBackward(model.config, model.params, acts, dLogits);
        const row = new Float64Array(size);
        let offset = 0;
        tracked.forEach((name, l) => (row.set(grads.get(name)!, offset), offset += sizes[l]));
        return row;
      });
      const p = probs.subarray(t * vocab, (t + 1) * vocab);
      for (let v = 0; v < vocab; v++) {
        for (let w = 0; w < vocab; w++) {
          const h = (v === w ? p[v] : 0) - p[v] * p[w];
          for (let i = 0; i < size; i++) {
            const hi = h * jacobian[v][i];
            for (let j = 0; j < size; j++) g[i * size + j] += hi * jacobian[w][j] / sequences.length;
          }
        }
      }
    }
  }
  return g;
}

Deno.test("exactGaussNewton() equals Σ_t Jᵀ(diag p − ppᵀ)J per sequence built from the logit Jacobian", () => {
  const ggn = exactGaussNewton(model, fit, tracked);
  assert.equal(ggn.size, 2 * 3 * 24);
  assert.deepEqual(ggn.slices.map((s) => [s.name, s.offset]), tracked.map((name, l) => [name, 24 * l]));
  const error = relativeDifference(ggn.matrix, gaussNewtonFromJacobians(fit));
  assert.ok(error < 1e-12, `relative error ${error}`);
});

Deno.test("exact labels: Λ is the diagonal of Qᵀ G Q in the Kronecker eigenbasis and D the diagonal of G", () => {
  const eigen = eigendecomposeCovariances(fitCovariances(model, fit, "exact", tracked));
  const lambda = fitLambda(model, fit, "exact", tracked, eigen);
  const ggn = exactGaussNewton(model, fit, tracked);
  for (const slice of ggn.slices) {
    const { outDim, inDim, offset, name } = slice, n = outDim * inDim;
    const basis = eigen.get(name)!, entry = lambda.get(name)!;
    const diagonal = Float64Array.from(
      { length: n },
      (_, k) => ggn.matrix[(offset + k) * ggn.size + offset + k],
    );
    assert.ok(relativeDifference(entry.diagonal, diagonal) < 1e-12, `${name} D`);
    // Λ[i, j] = uᵀ G_ll u with u = vec(q_S,i q_A,jᵀ), the (i, j) basis direction of the weight space.
    const expected = new Float64Array(n);
    const rotatedColumns = Array.from({ length: n }, (_, col) => {
      const column = Float64Array.from(
        { length: n },
        (_, row) => ggn.matrix[(offset + row) * ggn.size + offset + col],
      );
      return toEigenbasis(column, basis.qs, basis.qa, outDim, inDim);
    });
    // (Q_S⊗Q_A)ᵀ G (Q_S⊗Q_A): rotate every column of G, then every row of the result.
    for (let k = 0; k < n; k++) {
      const row = Float64Array.from({ length: n }, (_, col) => rotatedColumns[col][k]);
      expected[k] = toEigenbasis(row, basis.qs, basis.qa, outDim, inDim)[k];
    }
    assert.ok(relativeDifference(entry.lambda!, expected) < 1e-12, `${name} Λ`);
    assert.equal(entry.sequences, fit.length);
  }
});

Deno.test("a label at the last position is ignored: the document loss has no term there", () => {
  const labels = sampleLabels(model, fit, new Rng(3, "labels"));
  const filled = labels.map((row) => row.map((label, t) => (t + 1 === row.length ? 4 : label)));
  assert.deepEqual(fitCovariances(model, fit, filled, tracked), fitCovariances(model, fit, labels, tracked));
  assert.deepEqual(fitLambda(model, fit, filled, tracked), fitLambda(model, fit, labels, tracked));
});
