/**
 * CPU reference of `sample_labels.wgsl`: labels drawn from softmax(logits) per row with the same
 * integer arithmetic (see `engine/kernels/sample_labels_spec.ts`) and Philox-4x32-10 draws, so the
 * labels are bit-identical to the kernel's for the same f32 logits.
 *
 * @module
 */
import {
  LOGIT_LIMIT,
  LOGIT_SCALE,
  MAX_SAMPLING_VOCAB,
  samplingShift,
  tokenWeight,
} from "../kernels/sample_labels_spec.ts";
import { mulHiLo, philox4x32 } from "./philox.ts";

/** Which stream a sampling call draws from. */
export interface SampleLabelsOptions {
  /** Seed, a non-negative safe integer (its low and high 32 bits form the Philox key). */
  seed: number;
  /** Draw index, so repeated passes over the same rows get fresh labels (default 0). */
  draw?: number;
  /** Added to the row index in the counter, so chunks of a larger batch draw as one batch (default 0). */
  rowOffset?: number;
}

/**
 * The Philox key and counter words of a sampling call.
 *
 * @param options Seed, draw and row offset.
 * @returns `[seedLo, seedHi, draw, rowOffset]` as unsigned 32-bit integers.
 * @throws {RangeError} When a value is not a non-negative integer of the allowed size.
 */
export function samplingWords(options: SampleLabelsOptions): [number, number, number, number] {
  const { seed, draw = 0, rowOffset = 0 } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`sampleLabels: seed must be a non-negative safe integer, got ${seed}`);
  }
  for (const [name, v] of [["draw", draw], ["rowOffset", rowOffset]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
      throw new RangeError(`sampleLabels: ${name} must be an integer in [0, 2^32), got ${v}`);
    }
  }
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, draw, rowOffset];
}

/**
 * Quantises an f32 logit to Q16 nats: trunc(clamp(l, ±LOGIT_LIMIT) · 2¹⁶).
 *
 * @param logit An f32 value.
 * @returns The integer.
 */
export function quantizeLogit(logit: number): number {
  return Math.trunc(Math.min(Math.max(logit, -LOGIT_LIMIT), LOGIT_LIMIT) * LOGIT_SCALE);
}

/**
 * Draws one label per row from softmax(logits[r]) (to the precision documented in the spec).
 *
 * @param logits f32 scores, [rows, vocab] row-major.
 * @param rows Number of rows.
 * @param vocab Vocabulary size V.
 * @param options Seed, draw and row offset: row r uses Philox counter (rowOffset + r, draw, 0, 0).
 * @param mask Optional [rows]; rows where mask[r] < 0 get label −1 (no target).
 * @returns Labels, [rows].
 * @throws {RangeError} When sizes disagree or V exceeds {@linkcode MAX_SAMPLING_VOCAB}.
 */
export function sampleLabelsCpu(
  logits: Float32Array,
  rows: number,
  vocab: number,
  options: SampleLabelsOptions,
  mask?: Int32Array,
): Int32Array {
  if (logits.length !== rows * vocab) {
    throw new RangeError(`sampleLabelsCpu: logits have ${logits.length} values, expected ${rows}·${vocab}`);
  }
  if (vocab < 1 || vocab > MAX_SAMPLING_VOCAB) {
    throw new RangeError(`sampleLabelsCpu: vocab must be in [1, ${MAX_SAMPLING_VOCAB}], got ${vocab}`);
  }
  const [seedLo, seedHi, draw, rowOffset] = samplingWords(options);
  const labels = new Int32Array(rows);
  const q = new Float64Array(vocab);
  const shift = samplingShift(vocab);
  for (let r = 0; r < rows; r++) {
    if (mask !== undefined && mask[r] < 0) {
      labels[r] = -1;
      continue;
    }
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, q[v] = quantizeLogit(logits[r * vocab + v]));
    let total = 0;
    for (let v = 0; v < vocab; v++) total += tokenWeight(max - q[v]) >>> shift;
    const u = philox4x32([(rowOffset + r) >>> 0, draw, 0, 0], [seedLo, seedHi])[0];
    const target = mulHiLo(u, total)[0];
    let cumulative = 0, label = vocab - 1;
    for (let v = 0; v < vocab; v++) {
      cumulative += tokenWeight(max - q[v]) >>> shift;
      if (cumulative > target) {
        label = v;
        break;
      }
    }
    labels[r] = label;
  }
  return labels;
}
