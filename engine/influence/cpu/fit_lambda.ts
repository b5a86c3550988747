/**
 * Pass 2 of EK-FAC: corrected eigenvalues Λ, and the per-parameter Fisher diagonal of the
 * `diagonal` strategy, from per-sequence gradients.
 *
 * @module
 */

import { llamaLossAndGradients } from "../../reference/llama_loss.ts";
import { resolveTrackedLayers, type TrackedLayer } from "../tracked_layers.ts";
import { toEigenbasis } from "./dense.ts";
import type { LayerEigenbasis } from "./eigendecompose_covariances.ts";
import { checkLabels } from "./fit_covariances.ts";
import { pseudoGradients } from "./pseudo_gradients.ts";
import { type FitLabels, fitTargets, type ReferenceModel, singleSequence } from "./reference_model.ts";

/** Second-moment estimates of one layer W [out, in], both per sequence (not per token). */
export interface LayerLambda extends TrackedLayer {
  /**
   * Λ = (1/N_seq) Σ_seq (Q_Sᵀ DW_seq Q_A)² elementwise, [out, in] row-major: entry (i, j) belongs to
   * S-eigenvector i (column i of Q_S) and A-eigenvector j (column j of Q_A). Absent when no eigenbasis
   * was given.
   */
  lambda?: Float64Array;
  /** D = (1/N_seq) Σ_seq DW_seq² elementwise, [out, in]: the Fisher diagonal in the parameter basis. */
  diagonal: Float64Array;
  /** N_seq. */
  sequences: number;
}

/**
 * Fits Λ (in the given eigenbases) and the parameter-basis diagonal D from DW_seq = Σ_t g_t a_tᵀ, the
 * weight gradient of each sequence's summed loss under `labels` (draw them afresh, independent of the
 * covariance pass). With `"exact"` the expectation over labels is taken exactly from
 * {@link ./pseudo_gradients.ts pseudoGradients}: Σ_(t,v) (Q_Sᵀ DW_(t,v) Q_A)², no cross-position terms.
 *
 * @param model The model.
 * @param sequences Fit token ids, one array per sequence.
 * @param labels One label array per sequence (negative, and the last position: no loss term), or `"exact"`.
 * @param tracked Tracked weight names; the result is keyed by name in forward order.
 * @param bases Eigenbases per tracked layer (for Λ); omit to fit only D.
 * @returns Λ and D per layer.
 * @throws {RangeError} When labels do not match the sequences, a name is unknown, a basis is missing
 * or misshapen, or there are no sequences.
 */
export function fitLambda(
  model: ReferenceModel,
  sequences: readonly Int32Array[],
  labels: FitLabels,
  tracked: readonly string[],
  bases?: ReadonlyMap<string, LayerEigenbasis>,
): Map<string, LayerLambda> {
  checkLabels("fitLambda()", sequences, labels);
  if (sequences.length === 0) throw new RangeError("fitLambda(): no fit sequences");
  const layers = resolveTrackedLayers(model.config, tracked);
  const names = layers.map((layer) => layer.name);
  const result = new Map(layers.map((layer) => {
    const basis = bases?.get(layer.name);
    if (bases !== undefined && (basis?.outDim !== layer.outDim || basis.inDim !== layer.inDim)) {
      throw new RangeError(
        `fitLambda(): no eigenbasis of shape [${layer.outDim}, ${layer.inDim}] for ${layer.name}`,
      );
    }
    const size = layer.outDim * layer.inDim;
    const entry: LayerLambda = { ...layer, diagonal: new Float64Array(size), sequences: sequences.length };
    if (basis !== undefined) entry.lambda = new Float64Array(size);
    return [layer.name, entry];
  }));
  /** Adds one (pseudo-)gradient's squares. */
  const accumulate = (name: string, dw: Float64Array) => {
    const entry = result.get(name)!, basis = bases?.get(name);
    addSquares(entry.diagonal, dw);
    if (basis !== undefined) {
      addSquares(entry.lambda!, toEigenbasis(dw, basis.qs, basis.qa, basis.outDim, basis.inDim));
    }
  };
  sequences.forEach((ids, index) => {
    if (labels === "exact") {
      for (const { grads } of pseudoGradients(model, ids, names)) {
        for (const name of names) accumulate(name, grads.get(name)!);
      }
      return;
    }
    const { grads } = llamaLossAndGradients(model.config, model.params, singleSequence(ids), {
      labels: fitTargets(labels[index]),
    }, { record: () => false });
    for (const name of names) accumulate(name, grads.get(name)!);
  });
  for (const entry of result.values()) {
    for (const m of [entry.diagonal, entry.lambda]) m?.forEach((v, i) => (m[i] = v / sequences.length));
  }
  return result;
}

/** acc += x² elementwise. */
function addSquares(acc: Float64Array, x: Float64Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += x[i] * x[i];
}
