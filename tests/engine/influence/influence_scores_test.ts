import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";
import {
  documentGradient,
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  gradientNorm,
  gradientNormalisedScores,
  influenceScore,
  perNatScores,
  preconditionGradient,
  queryGradient,
  type ReferenceModel,
  resolveDamping,
  scoreMatrix,
  tokenScores,
} from "../../../engine/influence/cpu/mod.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import { llamaLoss } from "../../../engine/reference/llama_loss.ts";
import { microModel, randomSequences, sampleLabels } from "./micro_model.ts";

const model = microModel({ hidden: 8, intermediate: 12 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);

/** The whole pipeline: sampled-label factors, EK-FAC, raw scores [queries, documents]. */
function pipeline(m: ReferenceModel, seed: number) {
  const fit = randomSequences(seed, "fit", 6, 8, vocab);
  const rng = new Rng(seed, "labels");
  const eigen = eigendecomposeCovariances(
    fitCovariances(m, fit, sampleLabels(m, fit, rng), tracked, { blocks: 2 }),
  );
  const lambda = fitLambda(m, fit, sampleLabels(m, fit, rng), tracked, eigen);
  const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, { lambda });
  const queries = randomSequences(seed, "queries", 3, 6, vocab).map((ids) =>
    queryGradient(m, ids.slice(0, 3), ids.slice(3), tracked)
  );
  const preconditioned = queries.map((q) =>
    preconditionGradient("ekfac", layers, q.gradient, { eigen, lambda }, damping, { rank: 4 })
  );
  const documents = randomSequences(seed, "docs", 5, 9, vocab).map((ids) =>
    documentGradient(m, ids, tracked)
  );
  return {
    queries,
    preconditioned,
    documents,
    scores: scoreMatrix(preconditioned, documents.map((d) => d.gradient)),
  };
}

Deno.test("the pipeline is deterministic: the same inputs give bit-identical preconditioned gradients and scores", () => {
  const first = pipeline(model, 4), second = pipeline(model, 4);
  assert.deepEqual(first.scores, second.scores);
  assert.deepEqual(first.preconditioned, second.preconditioned);
  assert.notDeepEqual(pipeline(model, 5).scores, first.scores);
});

Deno.test("scores are [queries, documents], sums of per-layer terms and of per-token scores", () => {
  const { preconditioned, documents, scores } = pipeline(model, 4);
  for (const [q, p] of preconditioned.entries()) {
    for (const [d, doc] of documents.entries()) {
      const { score, perLayer } = influenceScore(p, doc.gradient);
      assert.equal(scores[q * documents.length + d], score);
      assert.deepEqual([...perLayer.keys()], tracked);
      const layerSum = [...perLayer.values()].reduce((a, b) => a + b);
      assert.ok(Math.abs(layerSum - score) < 1e-12 * Math.abs(score) + 1e-300);
      const perToken = tokenScores(p, doc.records);
      assert.equal(perToken.length, 9);
      assert.equal(perToken[8], 0); // the last position has no loss term and backpropagates nothing
      const tokenSum = perToken.reduce((a, b) => a + b);
      assert.ok(Math.abs(tokenSum - score) < 1e-12 * Math.abs(score), `${tokenSum} vs ${score}`);
    }
  }
});

Deno.test("the per-nat view divides by the query's nats and the normalised view by the document gradient norm", () => {
  const { queries, documents, scores } = pipeline(model, 4);
  const nats = Float64Array.from(queries, (q) => q.nats);
  const norms = Float64Array.from(documents, (d) => gradientNorm(d.gradient));
  const perNat = perNatScores(scores, nats), normalised = gradientNormalisedScores(scores, norms);
  for (let q = 0; q < queries.length; q++) {
    for (let d = 0; d < documents.length; d++) {
      const k = q * documents.length + d;
      assert.equal(perNat[k], scores[k] / nats[q]);
      assert.equal(normalised[k], scores[k] / norms[d]);
    }
  }
  // nats is −log p(completion | prompt), from the query's own forward pass.
  const ids = randomSequences(4, "queries", 1, 6, vocab)[0];
  const { logProbs } = llamaLoss(model.config, model.params, { ids, batch: 1, seqLen: 6 });
  assert.ok(Math.abs(nats[0] + logProbs[2] + logProbs[3] + logProbs[4]) < 1e-12);
  let sum = 0;
  for (const g of documents[0].gradient.values()) for (const v of g) sum += v * v;
  assert.equal(norms[0], Math.sqrt(sum));
});

Deno.test("queryGradient() and documentGradient() reject sequences too short to score", () => {
  assert.throws(() => queryGradient(model, new Int32Array(0), new Int32Array([1]), tracked), RangeError);
  assert.throws(() => queryGradient(model, new Int32Array([1]), new Int32Array(0), tracked), RangeError);
  assert.throws(() => documentGradient(model, new Int32Array([1]), tracked), /two tokens/);
});
