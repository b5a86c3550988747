import { bootstrapMean, type BootstrapOptions, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { oneSampleTTest } from "../analyses/one_sample_t_test.ts";
import { welchTTest } from "../analyses/welch_t_test.ts";

/** A verdict on one finding for one setup. */
export type Verdict = "reproduced" | "not-reproduced" | "inconclusive";

/** The test behind a verdict. */
export interface TestResult {
  /** "Welch t" or "one-sample t". */
  name: string;
  /** The t statistic (±Infinity when both groups are constant). */
  statistic: number;
  /** Two-sided p-value; null when the test is undefined (constant groups, fewer than 2 values). */
  pValue: number | null;
}

/** Group A against group B (or against a fixed value), with intervals, a test and a verdict. */
export interface GroupComparison {
  a: MeanInterval;
  b: MeanInterval;
  test: TestResult;
  verdict: Verdict;
}

/** The significance level of every verdict. */
export const ALPHA = 0.05;

/**
 * The rule every finding's verdict follows, stated once for the report: the paper's effect is
 * "A greater than B"; **reproduced** when the difference goes that way with two-sided p < 0.05,
 * **not-reproduced** when it goes the other way with p < 0.05 or when both groups are identical
 * constants (no effect at all), **inconclusive** otherwise (p ≥ 0.05, or fewer than two values in a group).
 */
export const VERDICT_RULE = "Each finding is stated as “A exceeds B” (the paper's direction). Per setup: " +
  "reproduced when the measured difference has that sign with two-sided p < 0.05; not reproduced when it " +
  "has the opposite sign with p < 0.05, or when both groups are the same constant (no effect at all); " +
  "inconclusive otherwise. Intervals are percentile bootstrap intervals over queries (over query pairs " +
  "for F1). A finding is reproduced overall when it is reproduced for every setup, partial when for some.";

function decide(diff: number, pValue: number | null, constantTie: boolean): Verdict {
  if (constantTie) return "not-reproduced";
  if (pValue === null || !(pValue < ALPHA)) return "inconclusive";
  return diff > 0 ? "reproduced" : "not-reproduced";
}

/**
 * Compares the means of two groups of per-query values with a Welch t-test (expected: A > B).
 * Two constant groups give t = ±Infinity: A above B is then reproduced, below not reproduced.
 *
 * @param a Values of group A.
 * @param b Values of group B.
 * @param bootstrap Bootstrap settings for the two intervals (B uses seed + 1).
 * @returns Both means with intervals, the test and the verdict.
 */
export function compareGroups(
  a: readonly number[],
  b: readonly number[],
  bootstrap: BootstrapOptions,
): GroupComparison {
  const ia = bootstrapMean(a, bootstrap), ib = bootstrapMean(b, { ...bootstrap, seed: bootstrap.seed + 1 });
  if (a.length < 2 || b.length < 2) {
    return { a: ia, b: ib, test: { name: "Welch t", statistic: NaN, pValue: null }, verdict: "inconclusive" };
  }
  const w = welchTTest(a, b);
  const constant = Number.isNaN(w.pValue);
  const pValue = constant ? (w.t === Infinity || w.t === -Infinity ? 0 : null) : w.pValue;
  const tie = constant && ia.mean === ib.mean;
  return {
    a: ia,
    b: ib,
    test: { name: "Welch t", statistic: w.t, pValue: tie ? null : pValue },
    verdict: decide(ia.mean - ib.mean, tie ? null : pValue, tie),
  };
}

/**
 * Compares the mean of per-query values with a fixed value (expected: mean > value), one-sample t-test.
 *
 * @param a Values.
 * @param value The reference (a base rate, or 1 for ratios).
 * @param bootstrap Bootstrap settings for the interval.
 * @returns The mean with interval, the reference as a zero-width interval, the test and the verdict.
 */
export function compareToValue(
  a: readonly number[],
  value: number,
  bootstrap: BootstrapOptions,
): GroupComparison {
  const ia = bootstrapMean(a, bootstrap);
  const ib = { mean: value, low: value, high: value, n: 0 };
  if (a.length < 2) {
    return {
      a: ia,
      b: ib,
      test: { name: "one-sample t", statistic: NaN, pValue: null },
      verdict: "inconclusive",
    };
  }
  const t = oneSampleTTest(a, value);
  const constant = Number.isNaN(t.pValue);
  const tie = constant && ia.mean === value;
  const pValue = constant ? (tie ? null : 0) : t.pValue;
  return {
    a: ia,
    b: ib,
    test: { name: "one-sample t", statistic: t.t, pValue },
    verdict: decide(ia.mean - value, pValue, tie),
  };
}
