import { QUERY_SETS } from "../../fixtures/world/vocabulary.ts";
import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import {
  correlationPermutationTest,
  type PermutationTestResult,
} from "../analyses/correlation_permutation_test.ts";
import { bootstrapDifference, cohensD } from "../analyses/effect_size.ts";
import { queryCorrelations } from "../analyses/query_correlations.ts";
import { setLabelPermutationTest, withinSetMeans } from "../analyses/query_permutation_tests.ts";
import { comparison, type GroupComparison } from "./compare_groups.ts";
import { type FindingsSettings, groupOf, type QueryGroup, type SetupScores } from "./findings_input.ts";

/** Multiply-adds one set's permutation test may spend (about three seconds here). */
export const PERMUTATION_BUDGET = 4e8;

/** The permutation test F1 runs ({@linkcode correlationPermutationTest}'s signature), replaceable. */
export type PermutationTestFn = typeof correlationPermutationTest;

/** F1 for one setup: which queries share influential documents. */
export interface F1Result {
  /** Query ids in matrix order: by query set (factual, reasoning sets, controls), then row order. */
  ids: string[];
  sets: string[];
  /** Pearson r of every query pair over all documents, row-major [Q × Q] (NaN for a constant row). */
  matrix: number[];
  /** Per query (matrix order): its mean r with the other queries of its set (NaN: none, or a constant row). */
  perQuery: number[];
  /** Per set: the mean of its queries' `perQuery` values, with a bootstrap interval over queries. */
  within: Record<string, MeanInterval>;
  /**
   * Per pair of sets, keyed "A|B": per query of A, its mean r with B's queries; the mean of those with a
   * bootstrap interval over A's queries.
   */
  between: Record<string, MeanInterval>;
  /**
   * Per set with at least one pair: the mean r of its pairs against rows whose document order is
   * shuffled (a baseline per set: is its r above chance; not the verdict's test).
   */
  permutation: Record<string, PermutationTestResult & { permutations: number }>;
  /**
   * The verdict's test: per query, its mean r within its set; reasoning queries (A) against factual
   * queries (B), set labels shuffled among the queries.
   */
  comparison: GroupComparison;
}

/**
 * F1: query × query correlations of the raw scores (Pearson is unchanged by the per-nat scaling), each
 * query's mean r with the other queries of its set, means within and between query sets over queries, a
 * document-shuffle baseline per set, and the paper's contrast tested over queries — reasoning queries of
 * one task share documents (high r with their set), factual queries do not.
 *
 * @param s The setup's scores.
 * @param settings Permutations and bootstrap.
 * @param seed Seed of the permutation and bootstrap streams.
 * @param permutationTest The test to run (default {@linkcode correlationPermutationTest}); e.g. one
 *   that returns results computed ahead in parallel.
 * @returns The F1 figures.
 */
export function f1Correlations(
  s: SetupScores,
  settings: FindingsSettings,
  seed: number,
  permutationTest: PermutationTestFn = correlationPermutationTest,
): F1Result {
  const rank = setOrder(s.queries.map((q) => q.query.set as string), s.groups);
  const ordered = [...s.queries].sort((a, b) => rank(a.query.set) - rank(b.query.set) || a.row - b.row);
  const rows = ordered.map((q) => q.row);
  const picked = new Float64Array(rows.length * s.documents);
  rows.forEach((r, i) => {
    for (let d = 0; d < s.documents; d++) picked[i * s.documents + d] = s.scores[r * s.documents + d];
  });
  const matrix = queryCorrelations(picked, rows.length, s.documents);
  const sets = ordered.map((q) => q.query.set as string);
  const perQuery = withinSetMeans(matrix, sets);
  const boot = (values: number[], k: number) =>
    bootstrapMean(values.filter((v) => !Number.isNaN(v)), { ...settings.bootstrap, seed: seed + k });
  const order = [...new Set(sets)];
  const within = Object.fromEntries(
    order.map((set, i) => [set, boot(perQuery.filter((_, q) => sets[q] === set), i)]),
  );
  const n = sets.length;
  const between: F1Result["between"] = {};
  order.forEach((a, i) =>
    order.slice(i + 1).forEach((b, j) => {
      const values = sets.flatMap((x, q) => {
        if (x !== a) return [];
        let sum = 0, count = 0;
        for (let o = 0; o < n; o++) {
          const r = matrix[q * n + o];
          if (sets[o] === b && !Number.isNaN(r)) sum += r, count++;
        }
        return count === 0 ? [] : [sum / count];
      });
      between[`${a}|${b}`] = boot(values, 100 + 10 * i + j);
    })
  );
  const permutation: F1Result["permutation"] = {};
  if (settings.permutations > 0) {
    for (const set of new Set(sets)) {
      const members = sets.flatMap((x, i) => (x === set ? [i] : []));
      const pairs: [number, number][] = [];
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) {
          if (Number.isFinite(matrix[members[i] * sets.length + members[j]])) {
            pairs.push([members[i], members[j]]);
          }
        }
      }
      if (pairs.length > 0) {
        // Bounded work: permutations × pairs × documents ≤ PERMUTATION_BUDGET (at least 20 permutations).
        const n = Math.max(
          20,
          Math.min(settings.permutations, Math.floor(PERMUTATION_BUDGET / (pairs.length * s.documents))),
        );
        const test = permutationTest(picked, s.documents, pairs, n, seed + 7);
        permutation[set] = { ...test, permutations: n };
      }
    }
  }
  const reasoningSets = order.filter((set) => groupOf(set, s.groups) === "reasoning");
  // The study's one factual set, or every factual-kind set of a query file of one's own.
  const factualSets = s.groups === undefined
    ? ["factual"]
    : order.filter((set) => groupOf(set, s.groups) === "factual");
  const test = setLabelPermutationTest(
    matrix,
    sets,
    reasoningSets,
    factualSets,
    settings.permutations,
    seed + 53,
  );
  const bootstrap = { ...settings.bootstrap, seed: seed + 50 };
  const a = bootstrapMean(test.valuesA, bootstrap),
    b = bootstrapMean(test.valuesB, { ...bootstrap, seed: seed + 51 });
  const effect = {
    difference: bootstrapDifference(test.valuesA, test.valuesB, { ...bootstrap, seed: seed + 52 }),
    d: cohensD(test.valuesA, test.valuesB),
  };
  const all = [...test.valuesA, ...test.valuesB];
  const f1 = comparison(
    a,
    b,
    "set-label permutation (Δ mean r)",
    test.valuesA.length < 2 || test.valuesB.length < 2 ? null : test,
    effect,
    all.length > 0 && all.every((v) => v === all[0]),
  );
  return {
    ids: ordered.map((q) => q.query.id),
    sets,
    matrix: [...matrix],
    perQuery,
    within,
    between,
    permutation,
    comparison: f1,
  };
}

const GROUP_ORDER: readonly QueryGroup[] = ["factual", "reasoning", "control"];

/**
 * F1's order of query sets: by group (factual, reasoning, control), within a group the study's sets in
 * the order of `QUERY_SETS`, then a query file's own sets in order of first appearance.
 *
 * @param sets Every query's set, in row order.
 * @param groups The groups of a query file's own sets.
 * @returns The rank of a set.
 */
function setOrder(
  sets: readonly string[],
  groups?: Readonly<Record<string, QueryGroup>>,
): (set: string) => number {
  const own = [...new Set(sets)].filter((set) => !(QUERY_SETS as readonly string[]).includes(set));
  return (set) => {
    const study = (QUERY_SETS as readonly string[]).indexOf(set);
    return 1000 * GROUP_ORDER.indexOf(groupOf(set, groups)) + (study >= 0 ? study : 100 + own.indexOf(set));
  };
}
