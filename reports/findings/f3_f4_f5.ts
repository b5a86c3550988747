import { type Source, SOURCES } from "../../fixtures/world/types.ts";
import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { type AnswerPresence, answerPresence } from "../analyses/answer_presence.ts";
import { procedureMatch, type QueryProcedureMatch } from "../analyses/procedure_match.ts";
import { sourceRatios, type SourceRatiosAtK } from "../analyses/source_ratios.ts";
import { compareGroups, compareToValue, comparison, type GroupComparison } from "./compare_groups.ts";
import { type EnrichmentQuery, stratifiedEnrichmentTest } from "../analyses/stratified_enrichment.ts";
import { bootstrapDifference, cohensD } from "../analyses/effect_size.ts";
import { scoreRow, topDocuments } from "../analyses/top_documents.ts";
import { procedureOfSet } from "../analyses/procedure_of_set.ts";
import type { Document } from "../../fixtures/world/types.ts";
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
  /** Per query share in the top k ÷ base rate, against 1 (the paper: over-represented); descriptive. */
  comparison: GroupComparison;
  /**
   * The verdict's test: per query, the share of its top k demonstrating its procedure (A) against the share
   * expected from those documents' sources (B: the procedure's rate within each top document's source);
   * the null shuffles the procedure labels among the documents of each source.
   */
  stratified: GroupComparison;
}

/** F5 for one setup: which sources the top (and bottom) documents come from. */
export interface F5Result {
  ks: number[];
  /** Corpus share of each source. */
  corpus: Record<Source, number>;
  /** Per query set: pooled shares and ratios per k (per-query ratios left out). */
  bySet: Record<string, Omit<SourceRatiosAtK, "perQuery">[]>;
  /** Reasoning queries, smallest k: (code + math) ratio per query against 1; descriptive. */
  reasoning: GroupComparison;
  /** Factual queries, smallest k: (wiki + trivia) ratio per query against 1; descriptive. */
  factual: GroupComparison;
  /**
   * The reasoning verdict's test: per reasoning query, the (code + math) share of its top k (A) against
   * the share expected from those documents' content (B: the code + math rate among documents with the
   * same content — the same procedures demonstrated, or a fact stated, or neither); the null shuffles
   * sources among documents of the same content.
   */
  reasoningStratified: GroupComparison;
  /** The same for factual queries and (wiki + trivia). */
  factualStratified: GroupComparison;
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
  // Stratified by source: procedure labels shuffled among the documents of each source.
  const labels = new Map<string, Uint8Array>();
  const queries: EnrichmentQuery[] = [];
  for (const q of reasoning) {
    const procedure = procedureOfSet(q.query.set);
    if (procedure === null) continue;
    if (!labels.has(procedure)) {
      labels.set(
        procedure,
        Uint8Array.from(input.documents, (d) => d.procedures.some((l) => l.procedure === procedure) ? 1 : 0),
      );
    }
    queries.push({ top: topDocuments(scoreRow(s.scores, s.documents, q.row), k), label: procedure });
  }
  const sourceStrata = Int32Array.from(input.documents, (d) => SOURCES.indexOf(d.source));
  return {
    k,
    perQuery: match.perQuery,
    bySet,
    stratified: enrichmentComparison(queries, labels, sourceStrata, input, seed + 20_000),
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
  // Stratified by content: sources shuffled among documents with the same procedures, facts or neither.
  const strata = contentStrata(input.documents);
  const ofSources = (sources: Source[]) =>
    Uint8Array.from(input.documents, (d) => sources.includes(d.source) ? 1 : 0);
  const sourceTest = (group: string, key: string, sources: Source[], offset: number) => {
    const members = s.queries.filter((q) => groupOf(q.query.set) === group);
    const queries = members.map((q) => ({
      top: topDocuments(scoreRow(s.scores, s.documents, q.row), ks[0]),
      label: key,
    }));
    return enrichmentComparison(queries, new Map([[key, ofSources(sources)]]), strata, input, seed + offset);
  };
  return {
    ks,
    corpus,
    bySet,
    reasoningStratified: sourceTest("reasoning", "code+math", ["code", "math"], 20_000),
    factualStratified: sourceTest("factual", "wiki+trivia", ["wiki", "trivia"], 30_000),
    reasoning: compareToValue(combined("reasoning", ["code", "math"]), 1, options),
    factual: compareToValue(combined("factual", ["wiki", "trivia"]), 1, { ...options, seed: seed + 10_000 }),
  };
}

/**
 * Content stratum of each document: the procedures it demonstrates (sorted, joined), else "fact" when it
 * states one, else "none" (filler, drill sheets).
 *
 * @param documents The scored documents.
 * @returns A stratum index per document.
 */
export function contentStrata(documents: readonly Document[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(documents, (d) => {
    const key = d.procedures.length > 0
      ? [...new Set(d.procedures.map((l) => l.procedure))].sort().join("+")
      : d.facts.length > 0
      ? "fact"
      : "none";
    if (!ids.has(key)) ids.set(key, ids.size);
    return ids.get(key)!;
  });
}

/**
 * A stratified enrichment test as a comparison: A the per-query observed shares, B their null
 * expectations, the effect the paired difference (bootstrap over queries) and d_z.
 */
function enrichmentComparison(
  queries: EnrichmentQuery[],
  labels: Map<string, Uint8Array>,
  strata: Int32Array,
  input: FindingsInput,
  seed: number,
): GroupComparison {
  const bootstrap = { ...input.settings.bootstrap, seed };
  const test = stratifiedEnrichmentTest(queries, labels, strata, input.settings.permutations, seed + 3);
  const observed = test.perQuery.map((p) => p.observed), expected = test.perQuery.map((p) => p.expected);
  const paired = observed.map((o, i) => o - expected[i]);
  const effect = {
    difference: bootstrapDifference(paired, 0, { ...bootstrap, seed: seed + 2 }),
    d: cohensD(paired, 0),
  };
  const outcome = queries.length < 2 || test.pValue === null
    ? (queries.length < 2
      ? null
      : { statistic: test.statistic, pValue: null, draws: test.draws, exact: false })
    : { statistic: test.statistic, pValue: test.pValue, draws: test.draws, exact: false };
  return comparison(
    bootstrapMean(observed, bootstrap),
    bootstrapMean(expected, { ...bootstrap, seed: seed + 1 }),
    "stratified label permutation (mean observed − expected share)",
    outcome,
    effect,
    paired.length > 0 && paired.every((v) => v === 0),
  );
}
