import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { cumulativeInfluence } from "../analyses/cumulative_influence.ts";
import { powerLawFit } from "../analyses/power_law_fit.ts";
import { scoreRow } from "../analyses/top_documents.ts";
import { compareGroups, type GroupComparison } from "./compare_groups.ts";
import { type FindingsSettings, groupOf, type QueryGroup, type SetupScores } from "./findings_input.ts";

/** F2 per query: positive per-nat influence and the rank-size slope of its top documents. */
export interface F2Query {
  id: string;
  set: string;
  group: QueryGroup;
  /** Σ of the positive per-nat scores (the curves' value at p = 100). */
  totalPositive: number;
  /** Per percent p: Σ of the top p% positive per-nat scores. */
  absolute: number[];
  /** Per percent p: that sum as a share of `totalPositive`. */
  share: number[];
  /** Power-law slope α of log score against log rank over the top N positive documents (NaN: < 3). */
  alpha: number;
  r2: number;
}

/** F2 for one setup. */
export interface F2Result {
  percents: number[];
  perQuery: F2Query[];
  /** Per group, per percent: mean with interval over the group's queries. */
  curves: Record<QueryGroup, { n: number; absolute: MeanInterval[]; share: MeanInterval[] }>;
  /** Total positive per-nat influence: factual (A) against reasoning (B); the paper: factual larger. */
  totals: GroupComparison;
  /** Power-law α: factual (A) against reasoning (B); the paper: reasoning steeper (more negative). */
  alpha: GroupComparison;
}

/**
 * F2: how much each query relies on its most influential documents — cumulative positive per-nat
 * influence of the top p% positive documents (absolute and as a share of the query's total), and
 * rank-size power-law fits over the top `powerLawTopN` documents.
 *
 * @param s The setup's scores.
 * @param settings Percents, N and bootstrap.
 * @param seed Seed of the bootstrap streams.
 * @returns The F2 figures.
 */
export function f2Reliance(s: SetupScores, settings: FindingsSettings, seed: number): F2Result {
  const percents = settings.topPercents;
  const perQuery: F2Query[] = s.queries.map(({ row, query }) => {
    const values = scoreRow(s.perNat, s.documents, row);
    const c = cumulativeInfluence(values, percents);
    const fit = powerLawFit(values, settings.powerLawTopN);
    return {
      id: query.id,
      set: query.set,
      group: groupOf(query.set, s.groups),
      totalPositive: c.totalPositive,
      absolute: c.absolute,
      share: c.share,
      alpha: fit.alpha,
      r2: fit.r2,
    };
  });
  const groups: QueryGroup[] = ["factual", "reasoning", "control"];
  const boot = (values: number[], k: number) =>
    bootstrapMean(values.filter(Number.isFinite), { ...settings.bootstrap, seed: seed + k });
  const curves = Object.fromEntries(groups.map((g, gi) => {
    const members = perQuery.filter((q) => q.group === g);
    return [g, {
      n: members.length,
      absolute: percents.map((_, i) => boot(members.map((q) => q.absolute[i]), 10 * gi + i)),
      share: percents.map((_, i) => boot(members.map((q) => q.share[i]), 1000 + 10 * gi + i)),
    }];
  })) as F2Result["curves"];
  const of = (g: QueryGroup, pick: (q: F2Query) => number) =>
    perQuery.filter((q) => q.group === g).map(pick).filter(Number.isFinite);
  const options = { ...settings.bootstrap, seed, permutations: settings.permutations };
  return {
    percents,
    perQuery,
    curves,
    totals: compareGroups(
      of("factual", (q) => q.totalPositive),
      of("reasoning", (q) => q.totalPositive),
      options,
    ),
    alpha: compareGroups(of("factual", (q) => q.alpha), of("reasoning", (q) => q.alpha), {
      ...options,
      seed: seed + 10_000,
    }),
  };
}
