/**
 * Pass 1 of EK-FAC: the Kronecker factors A and S of every tracked layer, in float64.
 *
 * @module
 */

import { llamaLossAndGradients } from "../../reference/llama_loss.ts";
import { resolveTrackedLayers, type TrackedLayer } from "../tracked_layers.ts";
import { addGram } from "./dense.ts";
import { pseudoGradients } from "./pseudo_gradients.ts";
import { type FitLabels, fitTargets, type ReferenceModel, singleSequence } from "./reference_model.ts";

/** Kronecker factors of one tracked layer W [out, in]. */
export interface LayerCovariance extends TrackedLayer {
  /** A = (1/T) Σ_tokens a aᵀ, [in, in] row-major, symmetric: the layer-input covariance. */
  a: Float64Array;
  /** S = (1/T) Σ_tokens g gᵀ, [out, out] row-major, symmetric: the output-gradient covariance. */
  s: Float64Array;
  /** T: fit tokens averaged over (positions with a loss term, over all fit sequences). */
  tokens: number;
  /** N_seq: fit sequences. T / N_seq scales A ⊗ S to the per-sequence Fisher (K-FAC's eigenvalues). */
  sequences: number;
  /** Equal diagonal blocks kept in A and in S (entries outside them are zero): 1, 2 or 4. */
  blocks: number;
}

/** Options of {@linkcode fitCovariances}. */
export interface FitCovariancesOptions {
  /** Keep this many equal diagonal blocks of A and of S (Ruis et al.: 2 for 7B, 4 for 35B); default 1. */
  blocks?: 1 | 2 | 4;
}

/**
 * Fits A = (1/T) Σ a aᵀ and S = (1/T) Σ g gᵀ per tracked layer. The tokens are the positions that
 * carry a loss term: every position but the last, less those whose given label is negative. g is the
 * gradient of the sequence's summed loss with respect to the layer output, so it includes what later
 * positions backpropagate through attention. With `"exact"`, S is E_(y~p)[g gᵀ] accumulated from
 * {@link ./pseudo_gradients.ts pseudoGradients} (micro models only: T·V backward passes per sequence).
 *
 * @param model The model.
 * @param sequences Fit token ids, one array per sequence (lengths may differ).
 * @param labels One label array per sequence (sampled or empirical), or `"exact"`.
 * @param tracked Tracked weight names; the result is keyed by name in forward order.
 * @param options Block-diagonal setting.
 * @returns The factors of every tracked layer.
 * @throws {RangeError} When the labels do not match the sequences, a tracked name is unknown, a
 * layer width is not divisible by the block count, or no token carries a loss term.
 */
export function fitCovariances(
  model: ReferenceModel,
  sequences: readonly Int32Array[],
  labels: FitLabels,
  tracked: readonly string[],
  options: FitCovariancesOptions = {},
): Map<string, LayerCovariance> {
  const blocks = options.blocks ?? 1;
  const layers = resolveTrackedLayers(model.config, tracked);
  checkLabels("fitCovariances()", sequences, labels);
  const names = layers.map((layer) => layer.name);
  const factors = new Map(layers.map((layer) => {
    if (layer.inDim % blocks !== 0 || layer.outDim % blocks !== 0) {
      throw new RangeError(
        `fitCovariances(): ${layer.name} is [${layer.outDim}, ${layer.inDim}], not divisible into ${blocks} blocks`,
      );
    }
    const a = new Float64Array(layer.inDim ** 2), s = new Float64Array(layer.outDim ** 2);
    return [layer.name, { ...layer, a, s, tokens: 0, sequences: sequences.length, blocks }];
  }));
  let tokens = 0;
  sequences.forEach((ids, index) => {
    const given = labels === "exact" ? undefined : fitTargets(labels[index]);
    const fitted = (row: number) => (given === undefined ? row + 1 < ids.length : given[row] >= 0);
    const { records } = llamaLossAndGradients(model.config, model.params, singleSequence(ids), {
      labels: given,
    }, { record: (name) => names.includes(name) });
    for (let row = 0; row < ids.length; row++) if (fitted(row)) tokens++;
    for (const [name, record] of records) {
      const factor = factors.get(name)!;
      addGram(factor.a, record.a, record.inDim, fitted);
      if (given !== undefined) addGram(factor.s, record.g, record.outDim, fitted);
    }
    if (given !== undefined) return;
    for (const pseudo of pseudoGradients(model, ids, names)) {
      for (const [name, record] of pseudo.records) {
        addGram(factors.get(name)!.s, record.g, record.outDim, fitted);
      }
    }
  });
  if (tokens === 0) throw new RangeError("fitCovariances(): no fit position carries a loss term");
  for (const factor of factors.values()) {
    factor.tokens = tokens;
    finish(factor.a, factor.inDim, tokens, blocks);
    finish(factor.s, factor.outDim, tokens, blocks);
  }
  return factors;
}

/**
 * Checks that there is one label array per sequence, of the same length.
 *
 * @param op The calling function, for messages.
 * @param sequences Token ids per sequence.
 * @param labels Labels per sequence, or `"exact"`.
 * @throws {RangeError} When counts or lengths differ.
 */
export function checkLabels(op: string, sequences: readonly Int32Array[], labels: FitLabels): void {
  if (labels === "exact") return;
  if (labels.length !== sequences.length) {
    throw new RangeError(`${op}: got ${labels.length} label arrays for ${sequences.length} sequences`);
  }
  labels.forEach((row, i) => {
    if (row.length !== sequences[i].length) {
      throw new RangeError(`${op}: sequence ${i} has ${sequences[i].length} tokens but ${row.length} labels`);
    }
  });
}

/** Divides by T, symmetrises exactly, and zeroes the entries outside the diagonal blocks. */
function finish(m: Float64Array, n: number, tokens: number, blocks: number): void {
  const size = n / blocks;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const inBlock = Math.floor(i / size) === Math.floor(j / size);
      const value = inBlock ? (m[i * n + j] + m[j * n + i]) / (2 * tokens) : 0;
      m[i * n + j] = m[j * n + i] = value;
    }
  }
}
