import assert from "node:assert/strict";
import {
  dampedGaussNewtonSolver,
  documentGradient,
  eigendecomposeCovariances,
  exactGaussNewton,
  fitCovariances,
  fitLambda,
  influenceScore,
  type LayerMatrices,
  preconditionGradient,
  queryGradient,
} from "../../../../engine/influence/cpu/mod.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../../engine/influence/tracked_layers.ts";
import {
  fineTune,
  measureChange,
  pbrfCurvature,
  ReferenceBackend,
} from "../../../../engine/influence/counterfactual/mod.ts";
import { microModel, randomSequences } from "../micro_model.ts";

const model = microModel({ hidden: 8, intermediate: 12 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);
const fit = randomSequences(5, "fit", 8, 8, vocab);
const documents = randomSequences(5, "docs", 3, 8, vocab);
const queries = randomSequences(5, "queries", 4, 7, vocab).map((ids) => ({
  prompt: ids.slice(0, 4),
  completion: ids.slice(4),
}));
const backend = new ReferenceBackend(model, tracked, fit);
const baseline = await backend.measure(queries);
const v = queries.map((q) => queryGradient(model, q.prompt, q.completion, tracked).gradient);
/** Σ_x ∇L(x) over the documents. */
const summed = new Map(layers.map((l) => [l.name, new Float64Array(l.outDim * l.inDim)]));
for (const ids of documents) {
  for (const [name, g] of documentGradient(model, ids, tracked).gradient) {
    summed.get(name)!.forEach((_, k, s) => (s[k] += g[k]));
  }
}
const ggn = exactGaussNewton(model, fit, tracked);
let trace = 0;
for (let i = 0; i < ggn.size; i++) trace += ggn.matrix[i * ggn.size + i];
/** The usual scale of damping: 0.1 × the mean eigenvalue of G. */
const lambda = 0.1 * trace / ggn.size;

/** Σ_x I(q, x) for each query, with P_q from `precondition`. */
function predicted(precondition: (g: LayerMatrices) => LayerMatrices): number[] {
  return v.map((vq) => influenceScore(precondition(vq), summed).score);
}

function assertRatio(
  measured: ArrayLike<number>,
  expected: readonly number[],
  tolerance: number,
  what: string,
) {
  for (let q = 0; q < expected.length; q++) {
    const ratio = measured[q] / expected[q];
    assert.ok(
      Math.abs(ratio - 1) <= tolerance,
      `${what}, query ${q}: measured ${measured[q]}, predicted ${expected[q]}`,
    );
  }
}

Deno.test("one small gradient step changes f by lr × the summed gradient dot product", async () => {
  const lr = 1e-5;
  const { change } = await measureChange(backend, documents, queries, baseline, {
    protocol: "gradient",
    lr,
    steps: 1,
  });
  const dots = predicted((g) => g).map((s) => lr * s);
  assertRatio(change, dots, 2e-3, "gradient protocol");
  // The backend is back at the final weights.
  assert.deepEqual(await backend.measure(queries), baseline);
});

Deno.test("the PBRF with small ε moves f by ε × the exact damped influence, and halving ε halves the change", async () => {
  const damping = new Map(tracked.map((name) => [name, lambda]));
  const curvature = await pbrfCurvature(backend, damping);
  const epsilon = 1e-5;
  const settings = { protocol: "pbrf" as const, epsilon, iterations: 600, damping };
  const full = await measureChange(backend, documents, queries, baseline, settings, curvature);
  const half = await measureChange(backend, documents, queries, baseline, {
    ...settings,
    epsilon: epsilon / 2,
  }, curvature);
  assert.ok(full.result.residual < 1e-3, `not converged: residual ${full.result.residual}`);
  const solve = dampedGaussNewtonSolver(ggn, damping);
  const exact = predicted(solve).map((s) => epsilon * s);
  assertRatio(full.change, exact, 0.01, "pbrf vs exact damped influence");
  assertRatio(full.change, [...half.change].map((c) => 2 * c), 0.01, "halving ε");
  // The identity prediction misses by more than the exact one does (the curvature matters here).
  const identity = predicted((g) => new Map([...g].map(([n, x]) => [n, x.map((y) => y / lambda)])));
  const error = (p: number[]) => p.reduce((s, x, q) => s + Math.abs(epsilon * x - full.change[q]), 0);
  assert.ok(
    error(identity) > 3 * error(exact.map((x) => x / epsilon)),
    "identity/λ predicts as well as the exact solve",
  );
});

Deno.test("the PBRF with strong damping agrees with the EK-FAC damped influence", async () => {
  // EK-FAC fitted with the exact expectation over the model's softmax, on the PBRF's fit sequences.
  const eigen = eigendecomposeCovariances(fitCovariances(model, fit, "exact", tracked));
  const lam = fitLambda(model, fit, "exact", tracked, eigen);
  // Strong: λ above G's largest eigenvalue. (At the usual damping this micro model's cross-layer
  // curvature, which no per-layer method sees, moves the response by a factor of 2 or more.)
  const top = (await pbrfCurvature(backend, new Map(tracked.map((name) => [name, lambda])))).estimate;
  const strong = 4 * top;
  const damping = new Map(tracked.map((name) => [name, strong]));
  const curvature = await pbrfCurvature(backend, damping);
  const epsilon = 1e-5 * strong;
  const { change, result } = await measureChange(backend, documents, queries, baseline, {
    protocol: "pbrf",
    epsilon,
    iterations: 100,
    damping,
  }, curvature);
  assert.ok(result.residual < 1e-6, `not converged: residual ${result.residual}`);
  const ekfac = predicted((g) => preconditionGradient("ekfac", layers, g, { eigen, lambda: lam }, damping))
    .map((s) => epsilon * s);
  assertRatio(change, ekfac, 0.15, "pbrf vs EK-FAC");
  // EK-FAC is as close as the best per-layer answer, the exact layer-diagonal blocks of G.
  const blocks = predicted(dampedGaussNewtonSolver(ggn, damping, { blockDiagonal: true })).map((s) =>
    epsilon * s
  );
  assertRatio(ekfac, blocks, 0.02, "EK-FAC vs exact blocks");
});

Deno.test("the curvature bound lies above the largest damped Gauss-Newton eigenvalue's Rayleigh quotients", async () => {
  const damping = new Map(tracked.map((name) => [name, lambda]));
  const { mu, lipschitz, estimate } = await pbrfCurvature(backend, damping);
  assert.equal(mu, lambda);
  // G's largest diagonal entry + λ bounds the top eigenvalue from below.
  let maxDiagonal = 0;
  for (let i = 0; i < ggn.size; i++) maxDiagonal = Math.max(maxDiagonal, ggn.matrix[i * ggn.size + i]);
  assert.ok(
    estimate >= maxDiagonal + lambda,
    `estimate ${estimate} below max diagonal ${maxDiagonal + lambda}`,
  );
  assert.ok(lipschitz > estimate);
});

Deno.test("fineTune rejects out-of-range settings and a PBRF without its curvature", async () => {
  await assert.rejects(
    () => fineTune(backend, documents, { protocol: "gradient", lr: 0, steps: 1 }),
    RangeError,
  );
  await assert.rejects(
    () =>
      fineTune(backend, documents, { protocol: "pbrf", epsilon: 1e-3, iterations: 5, damping: new Map() }),
    /curvature/,
  );
});
