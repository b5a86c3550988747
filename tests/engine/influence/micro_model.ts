/**
 * Test fixture: micro Llama models for the influence reference, random token sequences, labels
 * sampled from the model with the model's generator, and correlation helpers.
 *
 * @module
 */

import { sampleCorrelation, sampleRankCorrelation } from "simple-statistics";
import { type LlamaConfig, parseLlamaConfig } from "../../../engine/model/config.ts";
import { paramSpecs } from "../../../engine/model/params.ts";
import { Rng } from "../../../engine/model/prng.ts";
import type { ReferenceModel } from "../../../engine/influence/cpu/reference_model.ts";
import { llamaLoss } from "../../../engine/reference/llama_loss.ts";
import { randomArray } from "../reference/gradient_check.ts";

/** Shape of a micro model. */
export interface MicroShape {
  /** Hidden width D. */
  hidden: number;
  /** SwiGLU width I. */
  intermediate: number;
  /** Decoder blocks. */
  layers?: number;
  /** Vocabulary size. */
  vocab?: number;
}

/**
 * A micro Llama (2 heads, untied) with random float64 weights normal(0, std) and norm gains
 * normal(1, 0.1), large enough that its softmax is far from uniform.
 *
 * @param shape Widths.
 * @param seed Parameter seed.
 * @param std Weight standard deviation.
 * @returns The model.
 */
export function microModel(shape: MicroShape, seed = 3, std = 0.5): ReferenceModel {
  const config: LlamaConfig = parseLlamaConfig({
    vocab_size: shape.vocab ?? 11,
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers ?? 2,
    num_attention_heads: 2,
    rope_theta: 100,
  });
  const params = new Map(
    paramSpecs(config).map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = spec.kind === "norm"
        ? randomArray(seed, spec.name, size, 0.1, 1)
        : randomArray(seed, spec.name, size, std);
      return [spec.name, values];
    }),
  );
  return { config, params };
}

/**
 * Uniformly random token sequences.
 *
 * @param seed Seed.
 * @param stream Stream label (different sets use different streams).
 * @param count Sequences.
 * @param length Tokens per sequence.
 * @param vocab Vocabulary size.
 * @returns The sequences.
 */
export function randomSequences(
  seed: number,
  stream: string,
  count: number,
  length: number,
  vocab: number,
): Int32Array[] {
  const rng = new Rng(seed, stream);
  return Array.from(
    { length: count },
    () => Int32Array.from({ length }, () => rng.nextUint32() % vocab),
  );
}

/**
 * Labels drawn from the model's softmax at every position but the last (−1 there): the true-Fisher
 * labels of one fit pass.
 *
 * @param model The model.
 * @param sequences Token ids.
 * @param rng The generator (advanced).
 * @returns One label array per sequence.
 */
export function sampleLabels(
  model: ReferenceModel,
  sequences: readonly Int32Array[],
  rng: Rng,
): Int32Array[] {
  const vocab = model.config.vocabSize;
  return sequences.map((ids) => {
    const { probs } = llamaLoss(model.config, model.params, { ids, batch: 1, seqLen: ids.length });
    return Int32Array.from(ids, (_, t) => {
      if (t + 1 === ids.length) return -1;
      const u = rng.nextFloat();
      let cumulative = 0;
      for (let v = 0; v < vocab; v++) {
        cumulative += probs[t * vocab + v];
        if (u < cumulative) return v;
      }
      return vocab - 1;
    });
  });
}

/**
 * Pearson and Spearman correlations of two equal-length score lists.
 *
 * @param x Scores.
 * @param y Scores.
 * @returns Both correlations.
 */
export function correlations(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): { pearson: number; spearman: number } {
  const a = Array.from(x), b = Array.from(y);
  return { pearson: sampleCorrelation(a, b), spearman: sampleRankCorrelation(a, b) };
}

/**
 * Relative error ‖x − y‖₂ / ‖y‖₂.
 *
 * @param x Values.
 * @param y Reference values.
 * @returns The error.
 */
export function relativeDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0, norm = 0;
  for (let i = 0; i < y.length; i++) {
    diff += (x[i] - y[i]) ** 2;
    norm += y[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}
