import jStat from "jstat";
import { mean, sampleVariance } from "simple-statistics";

/** Result of {@linkcode oneSampleTTest}. */
export interface OneSampleTTest {
  /** t = (mean − mu) / (s / √n), s the sample standard deviation. */
  t: number;
  /** n − 1. */
  df: number;
  /** Two-sided p-value P(|T_df| ≥ |t|); NaN when the sample is constant. */
  pValue: number;
  /** The sample mean. */
  mean: number;
}

const ibeta: (x: number, a: number, b: number) => number = jStat.ibeta;

/**
 * Two-sided one-sample t-test of a sample's mean against `mu` (F4: share of same-procedure documents in
 * the top k against the corpus base rate; F5: source ratios against 1). The p-value is
 * I_{df/(df+t²)}(df/2, 1/2) = P(|T_df| ≥ |t|). A constant sample gives t = ±Infinity (NaN when its
 * mean is mu) and a NaN p-value.
 *
 * @param sample At least two finite values.
 * @param mu The hypothesised mean.
 * @returns The statistic, degrees of freedom, p-value and the mean.
 * @throws {RangeError} If the sample has fewer than two values or a non-finite value.
 * @example
 * ```ts
 * import { oneSampleTTest } from "./one_sample_t_test.ts";
 * const r = oneSampleTTest([1, 3], 0); // mean 2, s = √2, t = 2 on 1 df: p = 1 − 2·atan(2)/π
 * console.assert(Math.abs(r.t - 2) < 1e-12 && Math.abs(r.pValue - (1 - 2 * Math.atan(2) / Math.PI)) < 1e-7);
 * ```
 */
export function oneSampleTTest(sample: readonly number[], mu: number): OneSampleTTest {
  if (sample.length < 2) {
    throw new RangeError(`oneSampleTTest: the sample has ${sample.length} values, need at least 2`);
  }
  const bad = sample.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(`oneSampleTTest: value ${bad} is ${sample[bad]}, expected a finite number`);
  }
  const m = mean(sample as number[]);
  const se2 = sampleVariance(sample as number[]) / sample.length;
  const t = (m - mu) / Math.sqrt(se2);
  const df = sample.length - 1;
  return { t, df, pValue: se2 === 0 ? NaN : ibeta(df / (df + t * t), df / 2, 0.5), mean: m };
}
