/**
 * The exact integer arithmetic of label sampling, shared by `sample_labels.wgsl` and its CPU
 * reference so that both give bit-identical labels for the same logits.
 *
 * A row's logits are quantised to multiples of 2⁻¹⁶ nats (truncation toward zero after clamping to
 * ±{@linkcode LOGIT_LIMIT}, exact in f32); each token gets the integer weight
 * ⌊2¹⁵ · 2^(−y)⌋-like value `tokenWeight(d)` of its distance d = max − logit (Q16), where
 * y = d·log₂e is computed in fixed point and 2^(−frac) is interpolated from {@linkcode EXP2_TABLE}.
 * Weights are relative to the most likely token (weight 2¹⁵); tokens less likely than ≈ 2⁻¹⁵ of it
 * get weight 0 and are never drawn, and the others are drawn with relative precision ≈ 2⁻¹⁵. A
 * Philox-4x32-10 draw picks the token whose cumulative weight first exceeds ⌊u·total / 2³²⌋. Above
 * 131071 entries the weights are shifted right by {@linkcode samplingShift} bits so that their total
 * stays below 2³² (up to 262143 entries: 1 bit, tokens below ≈ 2⁻¹⁴ of the most likely one never drawn).
 *
 * @module
 */

/** Logits are clamped to ±LOGIT_LIMIT before quantisation (so that logit·2¹⁶ fits an i32). */
export const LOGIT_LIMIT = 32767;
/** Quantisation scale of logits: 2¹⁶ per nat. */
export const LOGIT_SCALE = 65536;
/** round(log₂(e) · 2¹⁵). */
export const LOG2E_Q15 = 47274;
/** Distances of 2²¹ / 2¹⁶ = 32 nats or more give weight 0. */
export const DISTANCE_LIMIT = 2 ** 21;
/** Largest vocabulary (2²⁰ − 1: weights shifted by at most 3 bits keep 2¹² levels). */
export const MAX_SAMPLING_VOCAB = 2 ** 20 - 1;

/**
 * Bits the token weights are shifted right by for a vocabulary of `vocab` entries: the least s ≥ 0
 * with vocab < 2^(17+s), so that the total (≤ vocab · 2^(15−s)) stays below 2³²; 0 up to 131071.
 *
 * @param vocab Vocabulary size, 1 … {@linkcode MAX_SAMPLING_VOCAB}.
 * @returns The shift.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { samplingShift } from "./sample_labels_spec.ts";
 * assert.deepEqual([samplingShift(32000), samplingShift(131071), samplingShift(256000)], [0, 0, 1]);
 * ```
 */
export function samplingShift(vocab: number): number {
  return Math.max(0, 15 - Math.clz32(vocab)); // ⌊log₂ vocab⌋ − 16 = (31 − clz32) − 16
}

/** round(2¹⁵ · 2^(−i/64)) for i = 0 … 64: 2^(−f) for f in [0, 1] in Q15, linearly interpolated. */
export const EXP2_TABLE: readonly number[] = Object.freeze(
  Array.from({ length: 65 }, (_, i) => Math.round(32768 * 2 ** (-i / 64))),
);

/**
 * The integer weight of a token at distance `d` (Q16 nats, d ≥ 0) below the row maximum.
 *
 * @param d max − logit in units of 2⁻¹⁶ nats.
 * @returns An integer in [0, 2¹⁵].
 */
export function tokenWeight(d: number): number {
  if (d >= DISTANCE_LIMIT) return 0;
  const hi = d >>> 16, lo = d & 0xffff;
  // y = d · log₂e in Q16, split so every product stays below 2³².
  const y = hi * LOG2E_Q15 * 2 + ((lo * LOG2E_Q15) >>> 15);
  const k = y >>> 16, f = y & 0xffff;
  const index = f >>> 10, frac = f & 0x3ff;
  const a = EXP2_TABLE[index], b = EXP2_TABLE[index + 1];
  const mantissa = a - (((a - b) * frac) >>> 10);
  return k >= 16 ? 0 : mantissa >>> k;
}

/**
 * The WGSL declaration of {@linkcode EXP2_TABLE} that the sampling kernel's host prepends.
 *
 * @returns `var<private> EXP2_TABLE: array<u32, 65> = array<u32, 65>(…);`
 */
export function exp2TableWgsl(): string {
  return `var<private> EXP2_TABLE: array<u32, 65> = array<u32, 65>(${
    EXP2_TABLE.map((v) => `${v}u`).join(", ")
  });`;
}
