/**
 * What a counterfactual fine-tune needs from a model: its tracked weights, the gradient of a document
 * set's summed loss, the gradient of the PBRF proximity term, and the measurement of queries.
 *
 * @module
 */

import type { TrackedLayer } from "../tracked_layers.ts";
import type { LayerMatrices } from "../cpu/influence_scores.ts";

/** A query as measured: f = log p(completion | prompt), summed over the completion tokens. */
export interface MeasuredQuery {
  /** Prompt token ids (BOS first), at least one. */
  prompt: Int32Array;
  /** Completion token ids (EOS last), at least one. */
  completion: Int32Array;
}

/** A value and its gradient with respect to the tracked weights. */
export interface TrackedGradient {
  /** The value (nats). */
  value: number;
  /** Its gradient per tracked weight name, [out, in] row-major, float64. */
  gradient: Map<string, Float64Array>;
}

/**
 * A model the fine-tune moves: only its tracked weights change, every other parameter stays at its
 * final value. Implemented on the float64 reference ({@link ./reference_backend.ts ReferenceBackend})
 * and on the GPU Llama ({@link ./gpu_backend.ts GpuBackend}).
 */
export interface FineTuneBackend {
  /** The tracked layers, in forward order. */
  readonly layers: readonly TrackedLayer[];
  /** The final tracked weights θ_final (float64 copies of what the model holds), by name. */
  readonly final: ReadonlyMap<string, Float64Array>;
  /** Replaces the tracked weights. */
  setTracked(values: LayerMatrices): void;
  /**
   * Σ over the documents of the summed next-token loss (every position but the last, real labels,
   * weight 1: the influence pipeline's document loss), and its gradient, at the current weights.
   */
  documentsLoss(documents: readonly Int32Array[]): Promise<TrackedGradient>;
  /**
   * (1/N) Σ over the N fit sequences of Σ_t KL(p_final,t ‖ p_θ,t) at every position that has a next
   * token, and its gradient, at the current weights. Its Hessian at θ_final is the Gauss-Newton matrix
   * G of the influence pipeline ({@link ../cpu/exact_gauss_newton.ts exactGaussNewton} on the same
   * sequences). The targets p_final are the model's distributions at its final weights.
   */
  proximity(): Promise<TrackedGradient>;
  /** f = log p(completion | prompt) of each query at the current weights, in nats. */
  measure(queries: readonly MeasuredQuery[]): Promise<Float64Array>;
}
