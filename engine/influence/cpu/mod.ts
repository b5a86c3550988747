/**
 * The float64 CPU reference of the influence pipeline (docs/method.md, "EK-FAC, step by step"), built on
 * the float64 reference model; the GPU implementation is tested against it.
 *
 * Pipeline: {@linkcode fitCovariances} (A, S) → {@linkcode eigendecomposeCovariances} (Q_A, Q_S) →
 * {@linkcode fitLambda} (Λ, D) → {@linkcode resolveDamping} (λ) → {@linkcode queryGradient} and
 * {@linkcode preconditionGradient} (P_q) → {@linkcode documentGradient} and
 * {@linkcode influenceScore} / {@linkcode scoreMatrix} / {@linkcode tokenScores}. For micro models,
 * {@linkcode exactGaussNewton} and {@linkcode dampedGaussNewtonSolver} give the exact answer.
 *
 * Conventions: weights and per-layer matrices are [out, in] row-major (HF `nn.Linear`); eigenvalues
 * ascending with eigenvectors as columns; Λ[i, j] pairs S-eigenvector i with A-eigenvector j; A and S
 * are per-token averages, Λ, D and G per-sequence averages; scores are positive when adding the
 * document raises log p(completion).
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "../../model/config.ts";
 * import { castParams } from "../../model/params.ts";
 * import { initParams } from "../../model/init_params.ts";
 * import { nextTokenLabels } from "../../reference/cross_entropy.ts";
 * import { trackedLayerNames, resolveTrackedLayers } from "../tracked_layers.ts";
 * import {
 *   documentGradient, eigendecomposeCovariances, fitCovariances, fitLambda, influenceScore,
 *   preconditionGradient, queryGradient, resolveDamping,
 * } from "./mod.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 11,
 *   initializer_range: 0.3,
 * });
 * const model = { config, params: castParams(initParams(config, 0), Float64Array) };
 * const tracked = trackedLayerNames(config);
 * const fit = [new Int32Array([1, 2, 3, 4, 5]), new Int32Array([5, 4, 3, 2, 1])];
 * const labels = fit.map((ids) => nextTokenLabels(ids, 1, ids.length)); // empirical, for brevity
 * const eigen = eigendecomposeCovariances(fitCovariances(model, fit, labels, tracked));
 * const lambda = fitLambda(model, fit, labels, tracked, eigen);
 * const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, { lambda });
 * const query = queryGradient(model, new Int32Array([1, 2]), new Int32Array([3]), tracked);
 * const p = preconditionGradient("ekfac", resolveTrackedLayers(config, tracked), query.gradient, {
 *   eigen, lambda,
 * }, damping);
 * const { score } = influenceScore(p, documentGradient(model, new Int32Array([1, 2, 3]), tracked).gradient);
 * assert.ok(Number.isFinite(score));
 * ```
 *
 * @module
 */

export * from "./reference_model.ts";
export * from "./symmetric_eigen.ts";
export * from "./dense.ts";
export * from "./pseudo_gradients.ts";
export * from "./fit_covariances.ts";
export * from "./eigendecompose_covariances.ts";
export * from "./fit_lambda.ts";
export * from "./kfac_eigenvalues.ts";
export * from "./precondition_factors.ts";
export * from "./resolve_damping.ts";
export * from "./truncate_rank.ts";
export * from "./precondition_gradient.ts";
export * from "./query_gradient.ts";
export * from "./document_gradient.ts";
export * from "./influence_scores.ts";
export * from "./cholesky.ts";
export * from "./exact_gauss_newton.ts";
