/**
 * Query gradients: V = ∇_W(−f) with f = log p(completion | prompt).
 *
 * @module
 */

import { nextTokenLabels } from "../../reference/cross_entropy.ts";
import { llamaLossAndGradients } from "../../reference/llama_loss.ts";
import { resolveTrackedLayers } from "../tracked_layers.ts";
import { type ReferenceModel, singleSequence } from "./reference_model.ts";

/** The measurement of one query and its gradient. */
export interface QueryGradient {
  /** V = ∇_W(−f) per tracked weight name, [out, in] row-major (completion positions only). */
  gradient: Map<string, Float64Array>;
  /** The query's information content −f = −log p(completion | prompt), in nats (the per-nat divisor). */
  nats: number;
}

/**
 * Differentiates −f = Σ_(completion tokens) −log p(token | everything before it) on the sequence
 * prompt + completion; prompt positions are masked.
 *
 * @param model The model.
 * @param prompt Prompt token ids, at least one.
 * @param completion Completion token ids, at least one.
 * @param tracked Tracked weight names.
 * @returns V per tracked layer and the nats.
 * @throws {RangeError} When the prompt or completion is empty or a name is unknown.
 */
export function queryGradient(
  model: ReferenceModel,
  prompt: Int32Array,
  completion: Int32Array,
  tracked: readonly string[],
): QueryGradient {
  if (prompt.length === 0 || completion.length === 0) {
    throw new RangeError("queryGradient(): the prompt and the completion need at least one token each");
  }
  const layers = resolveTrackedLayers(model.config, tracked);
  const ids = new Int32Array(prompt.length + completion.length);
  ids.set(prompt);
  ids.set(completion, prompt.length);
  const labels = nextTokenLabels(ids, 1, ids.length);
  // Position t predicts token t + 1: the completion is predicted from position prompt.length − 1 on.
  const weights = Float64Array.from(labels, (label, t) => (label >= 0 && t >= prompt.length - 1 ? 1 : 0));
  const { loss, grads } = llamaLossAndGradients(model.config, model.params, singleSequence(ids), {
    labels,
    weights,
  }, { record: () => false });
  return { gradient: new Map(layers.map(({ name }) => [name, grads.get(name)!])), nats: loss };
}
