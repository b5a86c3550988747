import { Rng } from "../../fixtures/world/rng.ts";

/** A group mean with its bootstrap confidence interval. */
export interface MeanInterval {
  /** Mean of the values (NaN for none). */
  mean: number;
  /** Lower end of the percentile interval (NaN with fewer than two values or no resamples). */
  low: number;
  /** Upper end of the percentile interval. */
  high: number;
  /** Number of values (queries) the mean is over. */
  n: number;
}

/** Settings of {@linkcode bootstrapMean}; the manifest's `analyses.bootstrap` block plus a seed. */
export interface BootstrapOptions {
  /** Resamples drawn (0: no interval). */
  resamples: number;
  /** Confidence level in (0, 1), e.g. 0.95. */
  confidence: number;
  /** Seed of the resampling stream; the same seed gives the same interval. */
  seed: number;
}

/**
 * Mean of per-query values with a percentile bootstrap interval: `resamples` times, draw n values with
 * replacement (seeded xoshiro128**), take the mean; the interval is the (1 − confidence)/2 and
 * (1 + confidence)/2 quantiles of those means (linear interpolation between order statistics).
 *
 * @param values One value per query; non-finite values are a RangeError.
 * @param options Resamples, confidence level and seed.
 * @returns The mean and its interval.
 * @throws {RangeError} On a non-finite value or a confidence outside (0, 1).
 * @example
 * ```ts
 * import { bootstrapMean } from "./bootstrap_mean.ts";
 * const m = bootstrapMean([1, 2, 3, 4], { resamples: 500, confidence: 0.9, seed: 7 });
 * console.assert(m.mean === 2.5 && m.low >= 1 && m.high <= 4 && m.low < m.high);
 * ```
 */
export function bootstrapMean(values: readonly number[], options: BootstrapOptions): MeanInterval {
  const { resamples, confidence, seed } = options;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`bootstrapMean: confidence must be in (0, 1), got ${confidence}`);
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(`bootstrapMean: value ${bad} is ${values[bad]}, expected a finite number`);
  }
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((s, v) => s + v, 0) / n;
  if (n < 2 || resamples <= 0) return { mean, low: NaN, high: NaN, n };
  const rng = new Rng(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[rng.nextUint32() % n];
    means[r] = sum / n;
  }
  means.sort();
  const at = (q: number) => {
    const x = q * (resamples - 1), i = Math.floor(x), f = x - i;
    return i + 1 < resamples ? means[i] * (1 - f) + means[i + 1] * f : means[i];
  };
  return { mean, low: at((1 - confidence) / 2), high: at((1 + confidence) / 2), n };
}
