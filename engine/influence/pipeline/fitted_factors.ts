/**
 * Fitted EK-FAC factors, and the steps of the fit that need no model on the device: the
 * eigendecomposition of A and S, and the exact-expectation fit on the float64 reference.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import type { LlamaConfig } from "../../model/config.ts";
import { castParams } from "../../model/params.ts";
import { eigendecomposeCovariances, type LayerEigenbasis } from "../cpu/eigendecompose_covariances.ts";
import { fitCovariances, type LayerCovariance } from "../cpu/fit_covariances.ts";
import { fitLambda, type LayerLambda } from "../cpu/fit_lambda.ts";
import { eigendecomposeCovariancesGpu } from "../gpu/eigendecompose_covariances_gpu.ts";
import { finishLambda, type LambdaSums } from "../gpu/lambda_accumulator.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import type { FactorStore } from "./module_groups.ts";
import type { InfluencePipelineSettings } from "./pipeline_settings.ts";

/** Fitted EK-FAC factors of every tracked layer. */
export interface FittedFactors {
  /** A and S per layer. */
  covariances: ReadonlyMap<string, LayerCovariance>;
  /** Q_A, Q_S and their eigenvalues per layer. */
  eigen: ReadonlyMap<string, LayerEigenbasis>;
  /** Λ and D per layer. */
  lambda: ReadonlyMap<string, LayerLambda>;
}

/** A module's fit counts and eigendecomposition accuracy (its factors being in a store). */
export type EigenSummary = Pick<
  LayerEigenbasis,
  "name" | "outDim" | "inDim" | "tokens" | "sequences" | "accuracy"
>;

/**
 * Finishes Λ and D from every part's pass-2 sums one group at a time and adds them to each module's
 * stored factors (host memory: one group's factors).
 *
 * @param store The store, holding every module's covariance and eigenbasis.
 * @param groups The tracked layers in groups, in forward order.
 * @param parts Every part's pass-2 sums, in part order.
 */
export async function storeLambda(
  store: FactorStore,
  groups: readonly (readonly TrackedLayer[])[],
  parts: readonly LambdaSums[],
): Promise<void> {
  for (const group of groups) {
    const lambda = finishLambda(group, parts);
    const stored = await store.read(group.map((l) => l.name));
    for (const [name, factors] of stored) await store.write(name, { ...factors, lambda: lambda.get(name)! });
  }
}

/** Seconds of each phase of a fit. */
export interface FitSeconds {
  /** Pass 1: A and S. */
  pass1: number;
  /** Eigendecomposition of A and S. */
  eigen: number;
  /** Pass 2: Λ and D. */
  pass2: number;
}

/**
 * Eigendecomposes every layer's A and S with the settings' solver: float64 on the CPU, or the GPU
 * Jacobi solver.
 *
 * @param gpu The device (used by `gpu-jacobi` only).
 * @param covariances A and S per layer.
 * @param eigensolver The solver.
 * @returns Eigenbases per layer.
 */
export async function eigendecompose(
  gpu: Gpu,
  covariances: ReadonlyMap<string, LayerCovariance>,
  eigensolver: InfluencePipelineSettings["eigensolver"],
): Promise<Map<string, LayerEigenbasis>> {
  return eigensolver === "cpu-f64"
    ? eigendecomposeCovariances(covariances)
    : await eigendecomposeCovariancesGpu(gpu, covariances);
}

/**
 * Exact-expectation labels (`labels: "exact"`): S and Λ fitted with the expectation over the whole
 * vocabulary instead of sampled labels, by the float64 CPU reference (one backward pass per position
 * and vocabulary entry), so the fit has no label noise. For micro models and small fit sets only.
 *
 * @param model Configuration and f32 weights.
 * @param layers The tracked layers.
 * @param sequences The fit documents' ids.
 * @param blocks Block-diagonal A and S.
 * @returns The factors (eigendecomposed in float64) and the seconds of each phase.
 */
export function fitFactorsExact(
  model: { config: LlamaConfig; params: ReadonlyMap<string, Float32Array> },
  layers: readonly TrackedLayer[],
  sequences: readonly Int32Array[],
  blocks: InfluencePipelineSettings["blocks"],
): FittedFactors & { seconds: FitSeconds } {
  const reference = { config: model.config, params: castParams(model.params, Float64Array) };
  const tracked = layers.map((l) => l.name);
  let t0 = performance.now();
  const covariances = fitCovariances(reference, sequences, "exact", tracked, { blocks });
  const seconds = { pass1: (performance.now() - t0) / 1000, eigen: 0, pass2: 0 };
  t0 = performance.now();
  const eigen = eigendecomposeCovariances(covariances);
  seconds.eigen = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const lambda = fitLambda(reference, sequences, "exact", tracked, eigen);
  seconds.pass2 = (performance.now() - t0) / 1000;
  return { covariances, eigen, lambda, seconds };
}
