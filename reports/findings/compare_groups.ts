import { bootstrapMean, type BootstrapOptions, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { bootstrapDifference, cohensD, type Difference } from "../analyses/effect_size.ts";
import {
  type PermutationOutcome,
  signFlipTest,
  twoGroupPermutationTest,
} from "../analyses/query_permutation_tests.ts";

/** A verdict on one finding for one setup, from its test. */
export type Verdict = "reproduced" | "not-reproduced" | "inconclusive";

/** The test behind a verdict. */
export interface TestResult {
  /** e.g. "permutation (Welch t)", "sign-flip (t)", "set-label permutation (Δ mean r)". */
  name: string;
  /** The statistic (±Infinity when the groups are constant and apart; NaN when untested). */
  statistic: number;
  /** Two-sided p-value; null when untested (fewer than 2 queries in a group, all values equal, no draws). */
  pValue: number | null;
  /** Null draws behind the p-value (its floor is 1/(1 + draws), or 2^(1−n) when exact). */
  draws?: number;
}

/** The effect behind a verdict, beside its p-value. */
export interface Effect {
  /** Mean of A − mean of B, with a percentile bootstrap interval over queries. */
  difference: Difference;
  /** Cohen's d (two groups: pooled standard deviation; against a value: d_z). */
  d: number;
}

/** Group A against group B (or against a fixed value), with intervals, a test, an effect size and a verdict. */
export interface GroupComparison {
  a: MeanInterval;
  b: MeanInterval;
  test: TestResult;
  effect: Effect;
  verdict: Verdict;
}

/** Bootstrap settings plus the permutation draws of the test. */
export interface ComparisonOptions extends BootstrapOptions {
  /** Null draws of the permutation test (0: no test; every verdict inconclusive). */
  permutations: number;
}

/** The significance level of every verdict. */
export const ALPHA = 0.05;

/**
 * The rule every finding's verdict follows, stated once for the report: the unit is the query (one value
 * per query); the paper's effect is "A greater than B"; **reproduced** when the difference goes that way
 * with two-sided p < 0.05, **not-reproduced** when it goes the other way with p < 0.05 or when every
 * value is the same (no effect at all), **inconclusive** otherwise; **not-applicable** for a setup that
 * fails the applicability gates on a query set the finding uses.
 */
export const VERDICT_RULE = "Each finding is stated as “A exceeds B” (the paper's direction) and measured " +
  "with one value per query; tests and intervals count queries, never query pairs. Tests (two-sided, " +
  "permutation): two groups of queries — Welch's t with its null from reassigning the queries to the " +
  "groups; one group against a fixed value — the one-sample t with its null from flipping the signs of " +
  "the differences; F1 — each query's mean r with the other queries of its set, reasoning against " +
  "factual queries, with its null from shuffling the set labels among the queries; F1x — the same two-group test. " +
  "Per setup: reproduced when A − B has the paper's sign with p < 0.05; not reproduced when it has the " +
  "opposite sign with p < 0.05, or when every value is the same (no effect at all); inconclusive otherwise. " +
  "Beside each p-value: the difference A − B with a 95% bootstrap interval over queries and Cohen's d. " +
  "Applicability: a setup is not applicable to a finding when a query set the finding uses fails the " +
  "gates — a reasoning set answered right less often than the minimum accuracy (the paper's 80%), or any " +
  "set with fewer distinct completions than the minimum share (90%); the factual side is the paper's draw " +
  "of 20 queries answered right and 20 answered wrong, and the table says when the pool did not allow it. " +
  "Overall: reproduced when reproduced for every applicable setup, partial when for some, not reproduced " +
  "when contradicted for every one; the setups left out are named (e.g. “reproduced (35B only; 7B not " +
  "applicable)”), and a finding no setup is applicable to is not applicable. The permutation tests are " +
  "checked in the test suite: on scores with no effect, “reproduced” comes out in at most 5% of 200 seeds.";

function decide(diff: number, pValue: number | null, noEffect: boolean): Verdict {
  if (noEffect) return "not-reproduced";
  if (pValue === null || !(pValue < ALPHA)) return "inconclusive";
  return diff > 0 ? "reproduced" : "not-reproduced";
}

/**
 * A comparison from its parts: intervals, a permutation test and the effect; the verdict by
 * {@linkcode VERDICT_RULE}.
 *
 * @param a A's mean and interval.
 * @param b B's mean and interval.
 * @param name The test's name.
 * @param outcome The test (null: fewer than two queries in a group).
 * @param effect The difference and Cohen's d.
 * @param noEffect Every value is the same: no effect at all, whatever the test says.
 * @returns The comparison.
 */
export function comparison(
  a: MeanInterval,
  b: MeanInterval,
  name: string,
  outcome: PermutationOutcome | null,
  effect: Effect,
  noEffect = false,
): GroupComparison {
  if (outcome === null) {
    return { a, b, test: { name, statistic: NaN, pValue: null }, effect, verdict: "inconclusive" };
  }
  return {
    a,
    b,
    test: { name, statistic: outcome.statistic, pValue: outcome.pValue, draws: outcome.draws },
    effect,
    verdict: decide(effect.difference.mean, outcome.pValue, noEffect),
  };
}

/**
 * Compares the means of two groups of per-query values (expected: A > B) with a studentized permutation
 * test ({@linkcode twoGroupPermutationTest}); the effect is the difference of the means with a bootstrap
 * interval over queries, and Cohen's d. Every value the same is no effect (not reproduced).
 *
 * @param a Values of group A, one per query.
 * @param b Values of group B, one per query.
 * @param options Bootstrap settings and permutation draws; A's interval uses `seed`, B's `seed + 1`, the
 *   difference's `seed + 2` and the test `seed + 3`.
 * @returns Both means with intervals, the test, the effect and the verdict.
 */
export function compareGroups(
  a: readonly number[],
  b: readonly number[],
  options: ComparisonOptions,
): GroupComparison {
  const { permutations, ...bootstrap } = options;
  const seed = bootstrap.seed;
  const ia = bootstrapMean(a, bootstrap), ib = bootstrapMean(b, { ...bootstrap, seed: seed + 1 });
  const effect = {
    difference: bootstrapDifference(a, b, { ...bootstrap, seed: seed + 2 }),
    d: cohensD(a, b),
  };
  const outcome = a.length < 2 || b.length < 2 ? null : twoGroupPermutationTest(a, b, permutations, seed + 3);
  const all = [...a, ...b];
  return comparison(ia, ib, "permutation (Welch t)", outcome, effect, all.every((v) => v === all[0]));
}

/**
 * Compares the mean of per-query values with a fixed value (expected: mean > value) with a sign-flip
 * test ({@linkcode signFlipTest}); the effect is the mean's distance from the value with a bootstrap
 * interval over queries, and Cohen's d_z. Every value equal to the reference is no effect.
 *
 * @param a Values, one per query.
 * @param value The reference (a base rate, or 1 for ratios).
 * @param options Bootstrap settings and permutation draws (interval `seed`, difference `seed + 2`,
 *   test `seed + 3`).
 * @returns The mean with interval, the reference as a zero-width interval, the test, effect and verdict.
 */
export function compareToValue(
  a: readonly number[],
  value: number,
  options: ComparisonOptions,
): GroupComparison {
  const { permutations, ...bootstrap } = options;
  const ia = bootstrapMean(a, bootstrap);
  const ib = { mean: value, low: value, high: value, n: 0 };
  const effect = {
    difference: bootstrapDifference(a, value, { ...bootstrap, seed: bootstrap.seed + 2 }),
    d: cohensD(a, value),
  };
  const outcome = a.length < 2 ? null : signFlipTest(a, value, permutations, bootstrap.seed + 3);
  return comparison(ia, ib, "sign-flip (t)", outcome, effect, a.every((v) => v === value));
}
