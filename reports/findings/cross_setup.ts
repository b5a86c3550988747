import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { crossSetupCorrelations } from "../analyses/cross_setup_correlations.ts";
import { scoreRow } from "../analyses/top_documents.ts";
import { topScoreMultiplier } from "../analyses/top_score_multiplier.ts";
import { compareGroups, type GroupComparison } from "./compare_groups.ts";
import { type FindingsSettings, groupOf, type QueryGroup, type SetupScores } from "./findings_input.ts";

/** Findings that compare the two setups on the prompts they share. */
export interface CrossSetupResult {
  /** The smaller and the larger setup. */
  small: string;
  large: string;
  /** Pearson r of the same prompt's score rows under the two setups. */
  samePrompt: { id: string; set: string; r: number }[];
  /** Mean and largest r over the shared prompts. */
  samePromptMean: MeanInterval;
  samePromptMax: number;
  /** Top-k multiplier per shared prompt: large ÷ small per-nat score, rank by rank over the top k. */
  multiplier: {
    k: number;
    perQuery: { id: string; group: QueryGroup; meanRatio: number; shareAbove1: number }[];
  };
  /** Mean multiplier: factual (A) against reasoning (B); the paper: 1.9 vs 1.3. */
  multiplierComparison: GroupComparison;
  /**
   * F1x: the larger setup's reasoning queries' mean r within their set (A, per query) against the same
   * prompt's r across the setups (B, per shared prompt); the paper: A far above B.
   */
  transfer: GroupComparison;
}

/**
 * Cross-setup findings over the prompts both setups were asked (same id, same text): the F1 check that
 * the same prompt's influential documents barely correlate across models, and the F2 35B/7B multiplier
 * of the top-k per-nat scores (k = the largest of `topK`, capped at the documents).
 *
 * @param small The smaller setup's scores.
 * @param large The larger setup's scores.
 * @param settings Analyses settings.
 * @param seed Bootstrap seed.
 * @param largeWithin The larger setup's reasoning queries' mean r within their set (F1's per-query values).
 * @returns The figures, or null when the setups share no prompt.
 */
export function crossSetup(
  small: SetupScores,
  large: SetupScores,
  settings: FindingsSettings,
  seed: number,
  largeWithin: readonly number[] = [],
): CrossSetupResult | null {
  const rowsSmall = new Map(small.queries.map((q) => [q.query.id, q.row]));
  const rowsLarge = new Map(large.queries.map((q) => [q.query.id, q.row]));
  const shared = small.queries.filter((q) => rowsLarge.has(q.query.id)).map((q) => q.query);
  if (shared.length === 0 || small.documents !== large.documents) return null;
  const correlations = crossSetupCorrelations(
    small.scores,
    rowsSmall,
    large.scores,
    rowsLarge,
    small.documents,
    shared.map((q) => ({ a: q.id, b: q.id })),
  );
  const samePrompt = correlations.map((c, i) => ({ id: c.a, set: shared[i].set, r: c.r }));
  const finite = samePrompt.map((p) => p.r).filter(Number.isFinite);
  const k = Math.min(Math.max(...settings.topK), small.documents);
  const perQuery = shared.map((q) => {
    const m = topScoreMultiplier(
      scoreRow(small.perNat, small.documents, rowsSmall.get(q.id)!),
      scoreRow(large.perNat, large.documents, rowsLarge.get(q.id)!),
      k,
    );
    return {
      id: q.id,
      group: groupOf(q.set, small.groups),
      meanRatio: m.meanRatio,
      shareAbove1: m.shareAbove1,
    };
  });
  const ratios = (g: QueryGroup) =>
    perQuery.filter((q) => q.group === g).map((q) => q.meanRatio).filter(Number.isFinite);
  return {
    small: small.setup,
    large: large.setup,
    samePrompt,
    samePromptMean: bootstrapMean(finite, { ...settings.bootstrap, seed }),
    samePromptMax: finite.length > 0 ? Math.max(...finite) : NaN,
    multiplier: { k, perQuery },
    multiplierComparison: compareGroups(ratios("factual"), ratios("reasoning"), {
      ...settings.bootstrap,
      seed: seed + 2,
      permutations: settings.permutations,
    }),
    transfer: compareGroups(largeWithin, finite, {
      ...settings.bootstrap,
      seed: seed + 20,
      permutations: settings.permutations,
    }),
  };
}
