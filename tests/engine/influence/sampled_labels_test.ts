import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";
import {
  documentGradient,
  eigendecomposeCovariances,
  fitCovariances,
  type FitLabels,
  fitLambda,
  preconditionGradient,
  queryGradient,
  resolveDamping,
  scoreMatrix,
} from "../../../engine/influence/cpu/mod.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import {
  correlations,
  microModel,
  randomSequences,
  relativeDifference,
  sampleLabels,
} from "./micro_model.ts";

const model = microModel({ hidden: 8, intermediate: 16 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);
const fit = randomSequences(1, "fit", 6, 8, vocab);
const queries = randomSequences(1, "queries", 4, 7, vocab).map((ids) =>
  queryGradient(model, ids.slice(0, 4), ids.slice(4), tracked).gradient
);
const documents = randomSequences(1, "docs", 16, 8, vocab).map((ids) =>
  documentGradient(model, ids, tracked).gradient
);

/** EK-FAC scores [queries, documents] with factors fitted on `sequences` (pass 1 and pass 2 labels). */
function ekfacScores(sequences: readonly Int32Array[], first: FitLabels, second: FitLabels) {
  const covariances = fitCovariances(model, sequences, first, tracked);
  const eigen = eigendecomposeCovariances(covariances);
  const lambda = fitLambda(model, sequences, second, tracked, eigen);
  const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, { lambda });
  const scores = scoreMatrix(
    queries.map((v) => preconditionGradient("ekfac", layers, v, { eigen, lambda }, damping)),
    documents,
  );
  return { scores, covariances };
}

Deno.test("sampled-label EK-FAC scores approach the exact-expectation scores as fit tokens grow", () => {
  const exact = ekfacScores(fit, "exact", "exact");
  const rng = new Rng(5, "labels");
  const pearson: number[] = [], sError: number[] = [];
  for (const repeats of [1, 8, 64]) {
    // The same fit inputs, each with `repeats` independent label draws per pass: T grows by `repeats`.
    const sequences = fit.flatMap((ids) => Array.from({ length: repeats }, () => ids));
    const sampled = ekfacScores(
      sequences,
      sampleLabels(model, sequences, rng),
      sampleLabels(model, sequences, rng),
    );
    pearson.push(correlations(sampled.scores, exact.scores).pearson);
    const name = tracked[0];
    sError.push(relativeDifference(sampled.covariances.get(name)!.s, exact.covariances.get(name)!.s));
    // A does not depend on labels: repeating the inputs leaves it unchanged.
    assert.ok(relativeDifference(sampled.covariances.get(name)!.a, exact.covariances.get(name)!.a) < 1e-13);
  }
  // Measured: Pearson 0.87, 0.98, 0.998 and relative error of S 2.0, 0.28, 0.09 for 1, 8, 64 draws.
  assert.ok(pearson[0] < pearson[2] && pearson[1] < pearson[2], `Pearson ${pearson}`);
  assert.ok(pearson[2] >= 0.99, `Pearson ${pearson}`);
  assert.ok(sError[0] > sError[2] && sError[2] < 0.15, `relative error of S ${sError}`);
});
