import { type Source, SOURCES } from "../../fixtures/world/types.ts";
import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { type AnswerPresence, answerPresence } from "../analyses/answer_presence.ts";
import { procedureMatch, type QueryProcedureMatch } from "../analyses/procedure_match.ts";
import { sourceRatios, type SourceRatiosAtK } from "../analyses/source_ratios.ts";
import { compareGroups, compareToValue, type GroupComparison } from "./compare_groups.ts";
import { type FindingsInput, groupOf, type SetupScores } from "./findings_input.ts";

/** F3 for one setup: is the answer in the top documents? */
export interface F3Result {
  k: number;
  presence: AnswerPresence;
  /** Ground truth, per query 1/0: factual (A) against reasoning (B); the paper: factual far more often. */
  truth: GroupComparison;
  /** The same by text search. */
  text: GroupComparison;
}

/** F4 for one setup: do the top documents of a reasoning query demonstrate its procedure? */
export interface F4Result {
  k: number;
  perQuery: QueryProcedureMatch[];
  /** Per reasoning set: share of top-k documents demonstrating the procedure, and per format. */
  bySet: Record<string, {
    queries: number;
    anyInTopK: number;
    share: MeanInterval;
    baseRate: number;
    code: MeanInterval;
    worked: MeanInterval;
    formula: MeanInterval;
  }>;
  /** Per query share in the top k ÷ base rate, against 1 (the paper: over-represented). */
  comparison: GroupComparison;
}

/** F5 for one setup: which sources the top (and bottom) documents come from. */
export interface F5Result {
  ks: number[];
  /** Corpus share of each source. */
  corpus: Record<Source, number>;
  /** Per query set: pooled shares and ratios per k (per-query ratios left out). */
  bySet: Record<string, Omit<SourceRatiosAtK, "perQuery">[]>;
  /** Reasoning queries, smallest k: (code + math) ratio per query against 1. */
  reasoning: GroupComparison;
  /** Factual queries, smallest k: (wiki + trivia) ratio per query against 1. */
  factual: GroupComparison;
}

/**
 * F3: answer presence in each query's top `answerSearchTopK` documents (raw scores), by the world's
 * ground truth and by text search, split by whether the model answered right.
 */
export function f3Answers(s: SetupScores, input: FindingsInput, seed: number): F3Result {
  const k = input.settings.answerSearchTopK;
  const presence = answerPresence(s.scores, input.documents, s.queries, k);
  const pick = (group: string, by: "truth" | "text") =>
    presence.perQuery.filter((q) => groupOf(q.set) === group).map((q) => (q[by] ? 1 : 0));
  const options = { ...input.settings.bootstrap, seed, permutations: input.settings.permutations };
  return {
    k,
    presence,
    truth: compareGroups(pick("factual", "truth"), pick("reasoning", "truth"), options),
    text: compareGroups(pick("factual", "text"), pick("reasoning", "text"), {
      ...options,
      seed: seed + 10_000,
    }),
  };
}

/** F4: share of each reasoning query's top `procedureTopK` documents that demonstrate its procedure. */
export function f4Procedures(s: SetupScores, input: FindingsInput, seed: number): F4Result {
  const k = input.settings.procedureTopK;
  const reasoning = s.queries.filter((q) => groupOf(q.query.set) === "reasoning");
  const match = procedureMatch(s.scores, input.documents, reasoning, k);
  const boot = (values: number[], i: number) =>
    bootstrapMean(values, { ...input.settings.bootstrap, seed: seed + i });
  const bySet: F4Result["bySet"] = {};
  for (const [i, set] of [...new Set(match.perQuery.map((q) => q.set))].entries()) {
    const members = match.perQuery.filter((q) => q.set === set);
    const format = (f: "code" | "worked" | "formula", j: number) =>
      boot(members.map((q) => q.byFormat[f] / q.k), 10 * i + j);
    bySet[set] = {
      queries: members.length,
      anyInTopK: members.filter((q) => q.anyInTopK).length,
      share: boot(members.map((q) => q.shareTopK), 10 * i),
      baseRate: members[0].baseRate,
      code: format("code", 1),
      worked: format("worked", 2),
      formula: format("formula", 3),
    };
  }
  const ratios = match.perQuery.map((q) => q.ratio).filter(Number.isFinite);
  return {
    k,
    perQuery: match.perQuery,
    bySet,
    comparison: compareToValue(ratios, 1, {
      ...input.settings.bootstrap,
      seed: seed + 10_000,
      permutations: input.settings.permutations,
    }),
  };
}

/** F5: source shares among the top-k and bottom-k documents divided by the corpus shares, per set and k. */
export function f5Sources(s: SetupScores, input: FindingsInput, seed: number): F5Result {
  const ks = [...input.settings.topK].sort((a, b) => a - b);
  const bySet: F5Result["bySet"] = {};
  let corpus = {} as Record<Source, number>;
  // Per query, its top-k source ratios at the smallest k (ks[0], the first of byK), for the tests.
  const smallest = new Map<string, Record<Source, number>>();
  for (const set of new Set(s.queries.map((q) => q.query.set))) {
    const members = s.queries.filter((q) => q.query.set === set);
    const r = sourceRatios(s.scores, input.documents, members, ks);
    corpus = r.corpus;
    for (const q of r.byK[0].perQuery) smallest.set(q.queryId, q.top);
    bySet[set] = r.byK.map(({ perQuery: _, ...rest }) => rest);
  }
  const combined = (group: string, sources: Source[]) => {
    const members = s.queries.filter((q) => groupOf(q.query.set) === group);
    if (members.length === 0) return [];
    // Sources absent from the corpus cannot be among the top documents: they add nothing to either share.
    const present = sources.filter((src) => corpus[src] > 0);
    const base = present.reduce((n, src) => n + corpus[src], 0);
    if (base === 0) return [];
    return members.map((q) => {
      const top = smallest.get(q.query.id)!;
      return present.reduce((n, src) => n + top[src] * corpus[src], 0) / base;
    });
  };
  const options = { ...input.settings.bootstrap, seed, permutations: input.settings.permutations };
  if (Object.keys(corpus).length === 0) {
    corpus = Object.fromEntries(SOURCES.map((src) => [src, NaN])) as Record<Source, number>;
  }
  return {
    ks,
    corpus,
    bySet,
    reasoning: compareToValue(combined("reasoning", ["code", "math"]), 1, options),
    factual: compareToValue(combined("factual", ["wiki", "trivia"]), 1, { ...options, seed: seed + 10_000 }),
  };
}
