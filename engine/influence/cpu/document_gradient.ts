/**
 * Document gradients: ∇_W L(x) with L(x) the summed next-token cross-entropy of the document.
 *
 * @module
 */

import type { LinearRecord } from "../../reference/llama_backward.ts";
import { llamaLossAndGradients } from "../../reference/llama_loss.ts";
import { resolveTrackedLayers } from "../tracked_layers.ts";
import { type ReferenceModel, singleSequence } from "./reference_model.ts";

/** The gradient of one document's loss. */
export interface DocumentGradient {
  /** ∇_W L(x) = Σ_t g_t a_tᵀ per tracked weight name, [out, in] row-major. */
  gradient: Map<string, Float64Array>;
  /** Per-token records of the tracked layers (a [T, in], g [T, out]) for per-token scores. */
  records: Map<string, LinearRecord>;
  /** L(x) in nats. */
  loss: number;
}

/**
 * Differentiates the document's summed next-token loss (its own labels, every position but the last).
 *
 * @param model The model.
 * @param ids Document token ids, [T], at least two.
 * @param tracked Tracked weight names.
 * @returns The gradient, records and loss.
 * @throws {RangeError} When the document has fewer than two tokens or a name is unknown.
 */
export function documentGradient(
  model: ReferenceModel,
  ids: Int32Array,
  tracked: readonly string[],
): DocumentGradient {
  if (ids.length < 2) {
    throw new RangeError(`documentGradient(): a document needs two tokens, got ${ids.length}`);
  }
  const names = resolveTrackedLayers(model.config, tracked).map((layer) => layer.name);
  const { loss, grads, records } = llamaLossAndGradients(
    model.config,
    model.params,
    singleSequence(ids),
    {},
    {
      record: (name) => names.includes(name),
    },
  );
  return { gradient: new Map(names.map((name) => [name, grads.get(name)!])), records, loss };
}
