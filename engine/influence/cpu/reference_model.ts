/**
 * The model the float64 influence reference differentiates.
 *
 * @module
 */

import type { LlamaConfig } from "../../model/config.ts";
import type { LlamaParams } from "../../model/params.ts";

/** A Llama model with float64 parameters (cast with {@link ../../model/params.ts castParams}). */
export interface ReferenceModel {
  /** The configuration. */
  config: LlamaConfig;
  /** Float64 parameters laid out as {@link ../../model/params.ts paramSpecs}. */
  params: LlamaParams<Float64Array>;
}

/**
 * Labels of the curvature fits, one array per fit sequence (same length as the sequence; a negative
 * label means the position has no loss term and is left out of the fit; the last position never has
 * one, as in the document loss, whatever its label), or `"exact"` for the exact expectation over the
 * model's softmax at every position that has a next token.
 *
 * - sampled (true Fisher): labels drawn from the model's own softmax, fresh for every pass;
 * - empirical: the data's next tokens ({@link ../../reference/cross_entropy.ts nextTokenLabels}).
 */
export type FitLabels = readonly Int32Array[] | "exact";

/**
 * One sequence as a batch of one.
 *
 * @param ids Token ids [T].
 * @returns The batch.
 */
export function singleSequence(ids: Int32Array): { ids: Int32Array; batch: number; seqLen: number } {
  return { ids, batch: 1, seqLen: ids.length };
}

/**
 * The fit targets of one sequence: its labels with the last position masked (−1), since the document
 * loss has no term there.
 *
 * @param labels Labels [T] as given.
 * @returns A masked copy.
 */
export function fitTargets(labels: Int32Array): Int32Array {
  const targets = labels.slice();
  if (targets.length > 0) targets[targets.length - 1] = -1;
  return targets;
}
