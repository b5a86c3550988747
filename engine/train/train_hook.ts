/**
 * Evaluation hooks that run during training.
 *
 * @module
 */
import type { TrainableModel } from "./trainable_model.ts";

/** A hook the trainer calls after every `every`-th optimiser step. */
export interface TrainHook {
  /** Name under which its results are recorded. */
  name: string;
  /** Steps between calls (positive); it runs after steps `every`, `2·every`, …. */
  every: number;
  /**
   * Evaluates the model (it may record GPU work and read results back).
   *
   * @param context Steps done so far and the model.
   * @returns Named numbers to record, or nothing.
   */
  run(context: { step: number; model: TrainableModel }): Promise<Record<string, number> | void>;
}

/** One recorded hook result. */
export interface Evaluation {
  /** Optimiser steps done when the hook ran. */
  step: number;
  /** The hook's name. */
  hook: string;
  /** What it returned. */
  values: Record<string, number>;
}
