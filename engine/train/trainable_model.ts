/**
 * The contract between the trainer and a model: parameters, gradients, and one fused
 * forward + backward call per batch.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";

/** One batch of next-token prediction, as {@linkcode TrainableModel.lossAndGrad} receives it. */
export interface TrainBatch {
  /** Token ids, i32 `[batch·seqLen]` (row-major `[batch, seqLen]`); padding is id 0. */
  ids: Tensor;
  /** Target id per position, i32 `[batch·seqLen]`; negative labels are ignored. */
  labels: Tensor;
  /** Loss weight per position, f32 `[batch·seqLen]` (0 where the label is negative). */
  weights: Tensor;
  /** Number of sequences. */
  batch: number;
  /** Positions per sequence (all sequences padded to it). */
  seqLen: number;
}

/**
 * A model the trainer can optimise. Implemented by the GPU Llama model; tests use small stand-ins.
 *
 * The trainer reads `params` and `grads` after each `lossAndGrad`, updates `params` in place, and
 * overwrites `params` when it resumes from a saved state.
 */
export interface TrainableModel {
  /** Parameters (f32) by Hugging Face name, in a stable order. */
  readonly params: ReadonlyMap<string, Tensor>;
  /** Gradients (f32) with the same keys and shapes as `params`. */
  readonly grads: ReadonlyMap<string, Tensor>;
  /**
   * Records forward and backward passes for a batch and OVERWRITES `grads` with
   * `d(Σ_pos weights·CE)/dθ`, where CE is the next-token cross-entropy at positions with a label ≥ 0.
   *
   * @param b The batch.
   * @returns A 1-element f32 tensor holding `Σ_pos weights·CE`, owned by the model (it may reuse it
   * at the next call); the caller copies it on the GPU and reads it back in batches.
   */
  lossAndGrad(b: TrainBatch): Tensor;
}
