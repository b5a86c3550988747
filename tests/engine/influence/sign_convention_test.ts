import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";
import {
  documentGradient,
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  gradientNorm,
  influenceScore,
  type LayerMatrices,
  preconditionGradient,
  queryGradient,
  type ReferenceModel,
  resolveDamping,
} from "../../../engine/influence/cpu/mod.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import { microModel, randomSequences, sampleLabels } from "./micro_model.ts";

const model = microModel({ hidden: 8, intermediate: 12 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);
const fit = randomSequences(9, "fit", 8, 8, vocab);
const rng = new Rng(9, "labels");
const eigen = eigendecomposeCovariances(fitCovariances(model, fit, sampleLabels(model, fit, rng), tracked));
const lambda = fitLambda(model, fit, sampleLabels(model, fit, rng), tracked, eigen);
const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, { lambda });
const queries = randomSequences(9, "queries", 6, 7, vocab).map((ids) => ({
  prompt: ids.slice(0, 4),
  completion: ids.slice(4),
}));

/** f = log p(completion | prompt) with the tracked weights moved by `step` · direction. */
function measurement(
  m: ReferenceModel,
  prompt: Int32Array,
  completion: Int32Array,
  direction: LayerMatrices,
  step: number,
) {
  const params = new Map(m.params);
  for (const [name, d] of direction) params.set(name, params.get(name)!.map((w, k) => w + step * d[k]));
  return -queryGradient({ config: m.config, params }, prompt, completion, tracked).nats;
}

/** A learning rate that moves the tracked weights by 1e-6 in Euclidean norm. */
const smallStep = (direction: LayerMatrices) => 1e-6 / gradientNorm(direction);

/** |actual − expected| within 1e-5 relative (the O(lr³) remainder of a central difference). */
function assertClose(actual: number, expected: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= 1e-5 * Math.abs(expected) + 1e-14,
    `${what}: ${actual} vs ${expected}`,
  );
}

Deno.test("one gradient step on a document changes log p(completion) by lr × the identity score", () => {
  for (const [q, { prompt, completion }] of queries.entries()) {
    const doc = documentGradient(model, randomSequences(q, "doc", 1, 8, vocab)[0], tracked);
    const lr = smallStep(doc.gradient);
    const v = queryGradient(model, prompt, completion, tracked).gradient;
    const score =
      influenceScore(preconditionGradient("identity", layers, v, {}, damping), doc.gradient).score;
    // θ' = θ ∓ lr ∇L(x); the central difference cancels the O(lr²) term.
    const change = (measurement(model, prompt, completion, doc.gradient, -lr) -
      measurement(model, prompt, completion, doc.gradient, lr)) / 2;
    assertClose(change, lr * score, `query ${q}`);
  }
});

Deno.test("a preconditioned step θ − lr·(G + λI)⁻¹∇L(x) changes log p(completion) by lr × the EK-FAC score", () => {
  for (const [q, { prompt, completion }] of queries.entries()) {
    const doc = documentGradient(model, randomSequences(q, "doc", 1, 8, vocab)[0], tracked);
    const v = queryGradient(model, prompt, completion, tracked).gradient;
    const score =
      influenceScore(preconditionGradient("ekfac", layers, v, { eigen, lambda }, damping), doc.gradient)
        .score;
    const step = preconditionGradient("ekfac", layers, doc.gradient, { eigen, lambda }, damping);
    const lr = smallStep(step);
    const change = (measurement(model, prompt, completion, step, -lr) -
      measurement(model, prompt, completion, step, lr)) / 2;
    assertClose(change, lr * score, `query ${q}`);
  }
});

Deno.test("a document identical to the query's text gets a positive score under every strategy", () => {
  for (const { prompt, completion } of queries) {
    const text = new Int32Array([...prompt, ...completion]);
    const doc = documentGradient(model, text, tracked).gradient;
    const v = queryGradient(model, prompt, completion, tracked).gradient;
    for (const strategy of ["identity", "diagonal", "kfac", "ekfac"] as const) {
      const d = resolveDamping(strategy, { mode: "heuristic", factor: 0.1 }, { eigen, lambda });
      const score =
        influenceScore(preconditionGradient(strategy, layers, v, { eigen, lambda }, d), doc).score;
      assert.ok(score > 0, `${strategy}: ${score}`);
    }
  }
});
