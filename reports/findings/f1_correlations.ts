import { QUERY_SETS } from "../../fixtures/world/types.ts";
import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import {
  correlationPermutationTest,
  type PermutationTestResult,
} from "../analyses/correlation_permutation_test.ts";
import { correlationSummary } from "../analyses/correlation_summary.ts";
import { queryCorrelations } from "../analyses/query_correlations.ts";
import { compareGroups, type GroupComparison } from "./compare_groups.ts";
import { type FindingsSettings, groupOf, type SetupScores } from "./findings_input.ts";

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
  /** Mean r of the pairs within each set (bootstrap over pairs). */
  within: Record<string, MeanInterval>;
  /** Mean r of the pairs between two sets, keyed "A|B". */
  between: Record<string, MeanInterval>;
  /** Per set with at least one pair: mean within-set r against document-shuffled rows. */
  permutation: Record<string, PermutationTestResult & { permutations: number }>;
  /** Within-set pairs of the reasoning sets (A) against pairs of factual queries (B). */
  comparison: GroupComparison;
}

/**
 * F1: query × query correlations of the raw scores (Pearson is unchanged by the per-nat scaling), the
 * mean within and between query sets, a permutation test per set, and the paper's contrast — reasoning
 * queries of one task share documents (high r), factual queries do not.
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
  const ordered = [...s.queries].sort((a, b) =>
    QUERY_SETS.indexOf(a.query.set) - QUERY_SETS.indexOf(b.query.set) || a.row - b.row
  );
  const rows = ordered.map((q) => q.row);
  const picked = new Float64Array(rows.length * s.documents);
  rows.forEach((r, i) => {
    for (let d = 0; d < s.documents; d++) picked[i * s.documents + d] = s.scores[r * s.documents + d];
  });
  const matrix = queryCorrelations(picked, rows.length, s.documents);
  const sets = ordered.map((q) => q.query.set as string);
  const summary = correlationSummary(matrix, sets);
  const boot = (values: number[], k: number) =>
    bootstrapMean(values, { ...settings.bootstrap, seed: seed + k });
  const within = Object.fromEntries(Object.entries(summary.within).map(([k, v], i) => [k, boot(v, i)]));
  const between = Object.fromEntries(
    Object.entries(summary.between).map(([k, v], i) => [k, boot(v, 100 + i)]),
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
  const reasoning = Object.entries(summary.within).filter(([k]) => groupOf(k as never) === "reasoning")
    .flatMap(([, v]) => v);
  const comparison = compareGroups(reasoning, summary.within.factual ?? [], { ...settings.bootstrap, seed });
  return {
    ids: ordered.map((q) => q.query.id),
    sets,
    matrix: [...matrix],
    within,
    between,
    permutation,
    comparison,
  };
}
