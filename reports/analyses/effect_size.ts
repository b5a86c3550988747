/**
 * Effect sizes beside every p-value: a difference of means with a bootstrap interval over queries, and
 * Cohen's d.
 *
 * @module
 */
import { Rng } from "../../fixtures/world/rng.ts";
import type { BootstrapOptions } from "./bootstrap_mean.ts";

/** A difference of means (A − B, or A − a fixed value) with its percentile bootstrap interval. */
export interface Difference {
  /** The difference of the means (NaN when a group is empty). */
  mean: number;
  /** Lower end of the interval (NaN with fewer than two values in a group or no resamples). */
  low: number;
  high: number;
}

function percentile(sorted: Float64Array, q: number): number {
  const x = q * (sorted.length - 1), i = Math.floor(x), f = x - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

function meanOf(x: readonly number[]): number {
  return x.length === 0 ? NaN : x.reduce((s, v) => s + v, 0) / x.length;
}

/**
 * The difference of two groups' means with a percentile bootstrap interval: each resample redraws A's
 * queries and B's queries with replacement, independently (seeded xoshiro128**). With `b` a single fixed
 * value instead of a group, only A is redrawn (the difference from a reference).
 *
 * @param a Group A's per-query values (finite).
 * @param b Group B's per-query values, or a fixed reference value.
 * @param options Resamples, confidence level, seed.
 * @returns The difference of the means and its interval.
 * @example
 * ```ts
 * import { bootstrapDifference } from "./effect_size.ts";
 * const d = bootstrapDifference([3, 4, 5], [1, 2, 3], { resamples: 500, confidence: 0.9, seed: 1 });
 * console.assert(d.mean === 2 && d.low < 2 && d.high > 2);
 * const e = bootstrapDifference([3, 4, 5], 1, { resamples: 500, confidence: 0.9, seed: 1 });
 * console.assert(e.mean === 3 && e.low >= 2 && e.high <= 4);
 * ```
 */
export function bootstrapDifference(
  a: readonly number[],
  b: readonly number[] | number,
  options: BootstrapOptions,
): Difference {
  const { resamples, confidence, seed } = options;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`bootstrapDifference: confidence must be in (0, 1), got ${confidence}`);
  }
  const groups = typeof b === "number" ? [a] : [a, b];
  for (const g of groups) {
    const bad = g.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`bootstrapDifference: value ${bad} is ${g[bad]}, expected finite`);
  }
  const reference = typeof b === "number" ? b : meanOf(b);
  const mean = meanOf(a) - reference;
  if (groups.some((g) => g.length < 2) || resamples <= 0 || Number.isNaN(mean)) {
    return { mean, low: NaN, high: NaN };
  }
  const rng = new Rng(seed);
  const draw = (g: readonly number[]) => {
    let sum = 0;
    for (let i = 0; i < g.length; i++) sum += g[rng.nextUint32() % g.length];
    return sum / g.length;
  };
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    diffs[r] = typeof b === "number" ? draw(a) - b : draw(a) - draw(b);
  }
  diffs.sort();
  return {
    mean,
    low: percentile(diffs, (1 - confidence) / 2),
    high: percentile(diffs, (1 + confidence) / 2),
  };
}

/**
 * Cohen's d: the difference of the means over the pooled standard deviation (two groups), or the mean's
 * distance from a fixed value over the sample standard deviation (d_z, one group). ±Infinity when the
 * values are constant and the means differ; NaN with fewer than two values or no difference at all.
 *
 * @param a Group A's values.
 * @param b Group B's values, or a fixed reference value.
 * @returns d.
 * @example
 * ```ts
 * import { cohensD } from "./effect_size.ts";
 * console.assert(cohensD([1, 2, 3], [0, 1, 2]) === 1); // difference 1, pooled sd 1
 * console.assert(cohensD([2, 3, 4], 1) === 2); // mean 3, sd 1
 * ```
 */
export function cohensD(a: readonly number[], b: readonly number[] | number): number {
  const ss = (x: readonly number[]) => {
    const m = meanOf(x);
    return x.reduce((s, v) => s + (v - m) ** 2, 0);
  };
  let diff: number, variance: number;
  if (typeof b === "number") {
    if (a.length < 2) return NaN;
    diff = meanOf(a) - b;
    variance = ss(a) / (a.length - 1);
  } else {
    if (a.length < 2 || b.length < 2) return NaN;
    diff = meanOf(a) - meanOf(b);
    variance = (ss(a) + ss(b)) / (a.length + b.length - 2);
  }
  if (variance === 0) return diff === 0 ? NaN : diff > 0 ? Infinity : -Infinity;
  return diff / Math.sqrt(variance);
}
