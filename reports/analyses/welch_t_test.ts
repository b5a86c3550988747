import jStat from "jstat";
import { mean, sampleVariance } from "simple-statistics";

/** Result of {@linkcode welchTTest}. */
export interface WelchTTest {
  /** t = (meanA − meanB) / √(varA/nA + varB/nB), sample variances. */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value, P(|T_df| ≥ |t|). */
  pValue: number;
  /** Mean of sample A. */
  meanA: number;
  /** Mean of sample B. */
  meanB: number;
}

/** Regularized incomplete beta function I_x(a, b) (jStat; continued fraction, relative error ≲ 1e-7). */
const ibeta: (x: number, a: number, b: number) => number = jStat.ibeta;

/**
 * Two-sided Welch t-test for a difference of means without assuming equal variances (F2: power-law slopes α
 * of reasoning vs factual queries). The p-value is taken as I_{df/(df+t²)}(df/2, 1/2), which equals
 * P(|T_df| ≥ |t|) and keeps its precision in the far tail. When both samples are constant the standard
 * error is 0: t is ±Infinity (or NaN for equal means) and df and pValue are NaN.
 *
 * @param a First sample, at least two finite values.
 * @param b Second sample, at least two finite values.
 * @returns The statistic, degrees of freedom, p-value and the two means.
 * @throws {RangeError} If a sample has fewer than two values or a non-finite value.
 * @example
 * ```ts
 * import { welchTTest } from "./welch_t_test.ts";
 * const w = welchTTest([1, 1], [-1, 1]); // t = 1 on 1 degree of freedom: p = 1/2
 * console.assert(w.t === 1 && w.df === 1 && Math.abs(w.pValue - 0.5) < 1e-7);
 * ```
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchTTest {
  for (const [name, x] of [["a", a], ["b", b]] as const) {
    if (x.length < 2) {
      throw new RangeError(`welchTTest: sample ${name} has ${x.length} values, need at least 2`);
    }
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RangeError(`welchTTest: sample ${name} value ${bad} is ${x[bad]}, expected a finite number`);
    }
  }
  const meanA = mean(a as number[]), meanB = mean(b as number[]);
  const va = sampleVariance(a as number[]) / a.length, vb = sampleVariance(b as number[]) / b.length;
  const se2 = va + vb;
  const t = (meanA - meanB) / Math.sqrt(se2);
  if (se2 === 0) return { t, df: NaN, pValue: NaN, meanA, meanB };
  const df = (se2 * se2) / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  return { t, df, pValue: ibeta(df / (df + t * t), df / 2, 0.5), meanA, meanB };
}
