import { type Source, SOURCES } from "../../fixtures/world/types.ts";
import { Rng } from "../../fixtures/world/rng.ts";
import { bootstrapMean, type MeanInterval } from "../analyses/bootstrap_mean.ts";
import { type AnswerPresence, answerPresence, presenceIn } from "../analyses/answer_presence.ts";
import { procedureMatch, type QueryProcedureMatch } from "../analyses/procedure_match.ts";
import { sourceRatios, type SourceRatiosAtK } from "../analyses/source_ratios.ts";
import { compareGroups, compareToValue, comparison, type GroupComparison } from "./compare_groups.ts";
import { type EnrichmentQuery, stratifiedEnrichmentTest } from "../analyses/stratified_enrichment.ts";
import { bootstrapDifference, cohensD } from "../analyses/effect_size.ts";
import { scoreRow, topDocuments } from "../analyses/top_documents.ts";
import { procedureOfSet } from "../analyses/procedure_of_set.ts";
import type { Document, QuerySet } from "../../fixtures/world/types.ts";
import {
  f5SourceGroups,
  type FindingsInput,
  groupOf,
  type SetupScores,
  type SourceGroups,
} from "./findings_input.ts";

/** F3 for one ranking (raw or gradient-norm-normalised scores). */
export interface F3Ranking {
  presence: AnswerPresence;
  /** Per query of the comparison, its chance of ground-truth presence in k random documents. */
  chance: { queryId: string; chance: number }[];
  /** Mean chance over the factual (A) and reasoning (B) queries of the comparison. */
  chanceFactual: number;
  chanceReasoning: number;
  /**
   * Ground truth, per query presence (1/0) minus its chance: factual (A) against reasoning (B). The paper:
   * factual answers far more often.
   */
  truth: GroupComparison;
  /** The same by text search, without the chance correction. */
  text: GroupComparison;
}

/** F3 for one setup: is the answer in the top documents, beyond chance? */
export interface F3Result {
  /** Documents searched per query: max(1, round(answerSearchShare × documents)). */
  k: number;
  /** The share that gave k. */
  share: number;
  /** Raw scores: the verdict's ranking. Its fields repeat here for older readers. */
  presence: AnswerPresence;
  truth: GroupComparison;
  text: GroupComparison;
  raw: F3Ranking;
  /** Gradient-norm-normalised scores, as the paper ranks (null when the run has no such matrix). */
  normalised: F3Ranking | null;
  /**
   * The factual side: queries answered right whose fact some scored document states (only those can be
   * found); how many of the factual queries that left.
   */
  factualKept: number;
  factualAsked: number;
  /**
   * "text" on a corpus of one's own: it has no ground truth, so `truth` (the verdict's comparison) is
   * presence by text search minus its chance by text search, and the factual side is every factual-kind
   * query answered right that has an answer to search for. Absent: ground truth (the synthetic world).
   */
  basis?: "text";
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
  /**
   * The source groups compared in place of (code + math) and (wiki + trivia): present only for a corpus
   * of one's own with `corpus.sourceGroups`.
   */
  sources?: SourceGroups;
}

/** Random k-subsets drawn per query for F3's chance baseline. */
export const F3_CHANCE_DRAWS = 200;

/**
 * F3: answer presence in each query's top k documents, k a share of the corpus (`answerSearchShare`), by
 * the world's ground truth and by text search, against each query's chance of presence in k random
 * documents ({@linkcode F3_CHANCE_DRAWS} seeded draws); factual queries answered right whose fact some
 * scored document states (A) against reasoning queries (B); on raw scores (the verdict) and on
 * gradient-norm-normalised scores.
 */
export function f3Answers(s: SetupScores, input: FindingsInput, seed: number): F3Result {
  const share = input.settings.answerSearchShare;
  const k = Math.min(input.documents.length, Math.max(1, Math.round(share * input.documents.length)));
  const stated = new Set(input.documents.flatMap((d) => d.facts));
  const user = input.corpus !== undefined;
  const group = (set: string) => groupOf(set, s.groups);
  const factualAll = s.queries.filter((q) =>
    user ? group(q.query.set) === "factual" : q.query.set === "factual"
  );
  const kept = s.queries.filter((q) =>
    group(q.query.set) === "reasoning" ||
    (user
      ? group(q.query.set) === "factual" && q.correct && q.query.gold.trim() !== ""
      : q.query.set === "factual" && q.correct && q.query.factId !== undefined && stated.has(q.query.factId))
  );
  // Ground truth decides presence in the synthetic world; a corpus of one's own has only text search.
  const basis = user ? "text" : "truth";
  const chance = chanceOfPresence(kept, input.documents, k, seed + 50_000, basis);
  const ranking = (matrix: ArrayLike<number>, offset: number): F3Ranking => {
    const presence = answerPresence(matrix, input.documents, kept, k);
    const pick = (g: string, by: "truth" | "text", correctForChance: boolean) =>
      presence.perQuery.flatMap((q, i) =>
        group(q.set) !== g ? [] : [(q[by] ? 1 : 0) - (correctForChance ? chance[i] : 0)]
      );
    const options = {
      ...input.settings.bootstrap,
      seed: seed + offset,
      permutations: input.settings.permutations,
    };
    const meanChance = (g: string) => {
      const values = kept.flatMap((q, i) => group(q.query.set) === g ? [chance[i]] : []);
      return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
    };
    return {
      presence,
      chance: kept.map((q, i) => ({ queryId: q.query.id, chance: chance[i] })),
      chanceFactual: meanChance("factual"),
      chanceReasoning: meanChance("reasoning"),
      truth: compareGroups(pick("factual", basis, true), pick("reasoning", basis, true), options),
      text: compareGroups(pick("factual", "text", false), pick("reasoning", "text", false), {
        ...options,
        seed: seed + offset + 10_000,
      }),
    };
  };
  const raw = ranking(s.scores, 0);
  return {
    k,
    share,
    presence: raw.presence,
    truth: raw.truth,
    text: raw.text,
    raw,
    normalised: s.normalised ? ranking(s.normalised, 20_000) : null,
    factualKept: kept.filter((q) => group(q.query.set) === "factual").length,
    factualAsked: factualAll.length,
    ...(user ? { basis: "text" as const } : {}),
  };
}

/**
 * Each query's chance that its answer is present (by ground truth, or by text search on a corpus of one's
 * own, as {@linkcode answerPresence} decides it) in k documents drawn at random, estimated from
 * {@linkcode F3_CHANCE_DRAWS} seeded draws.
 */
function chanceOfPresence(
  queries: SetupScores["queries"],
  documents: readonly Document[],
  k: number,
  seed: number,
  by: "truth" | "text",
): number[] {
  const rng = new Rng(seed);
  const n = documents.length, hits = new Float64Array(queries.length);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let b = 0; b < F3_CHANCE_DRAWS; b++) {
    // A partial Fisher-Yates shuffle: its first k entries are a uniform random k-subset.
    for (let i = 0; i < k; i++) {
      const j = rng.int(i, n - 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const top = order.slice(0, k).map((d) => documents[d]);
    queries.forEach((q, i) => (hits[i] += presenceIn(q.query, top)[by] ? 1 : 0));
  }
  return Array.from(hits, (h) => h / F3_CHANCE_DRAWS);
}

/** F4: share of each reasoning query's top `procedureTopK` documents that demonstrate its procedure. */
export function f4Procedures(s: SetupScores, input: FindingsInput, seed: number): F4Result {
  const k = input.settings.procedureTopK;
  // A corpus of one's own: a set's procedure is its corpus.procedureKeywords key; sets without one are left out.
  const corpus = input.corpus;
  const procedureOf = corpus
    ? (set: string) => corpus.procedures[set] ?? null
    : (set: string) => procedureOfSet(set as QuerySet);
  const reasoning = s.queries.filter((q) =>
    groupOf(q.query.set, s.groups) === "reasoning" &&
    (corpus === undefined || procedureOf(q.query.set) !== null)
  );
  const match = procedureMatch(s.scores, input.documents, reasoning, k, procedureOf);
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
    const procedure = procedureOf(q.query.set);
    if (procedure === null) continue;
    if (!labels.has(procedure)) {
      labels.set(
        procedure,
        Uint8Array.from(input.documents, (d) => d.procedures.some((l) => l.procedure === procedure) ? 1 : 0),
      );
    }
    queries.push({ top: topDocuments(scoreRow(s.scores, s.documents, q.row), k), label: procedure });
  }
  const sources = corpusSources(input);
  const sourceStrata = Int32Array.from(input.documents, (d) => sources.indexOf(d.source));
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
  const sources = corpusSources(input);
  for (const set of new Set(s.queries.map((q) => q.query.set))) {
    const members = s.queries.filter((q) => q.query.set === set);
    const r = sourceRatios(s.scores, input.documents, members, ks, sources);
    corpus = r.corpus;
    for (const q of r.byK[0].perQuery) smallest.set(q.queryId, q.top);
    bySet[set] = r.byK.map(({ perQuery: _, ...rest }) => rest);
  }
  const combined = (group: string, sources: Source[]) => {
    const members = s.queries.filter((q) => groupOf(q.query.set, s.groups) === group);
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
    corpus = Object.fromEntries(sources.map((src) => [src, NaN])) as Record<Source, number>;
  }
  // Stratified by content: sources shuffled among documents with the same procedures, facts or neither.
  const strata = contentStrata(input.documents);
  const ofSources = (sources: Source[]) =>
    Uint8Array.from(input.documents, (d) => sources.includes(d.source) ? 1 : 0);
  const sourceTest = (group: string, key: string, sources: Source[], offset: number) => {
    const members = s.queries.filter((q) => groupOf(q.query.set, s.groups) === group);
    const queries = members.map((q) => ({
      top: topDocuments(scoreRow(s.scores, s.documents, q.row), ks[0]),
      label: key,
    }));
    return enrichmentComparison(queries, new Map([[key, ofSources(sources)]]), strata, input, seed + offset);
  };
  const groups = f5SourceGroups(input);
  const reasoningSources = groups.reasoning as Source[], factualSources = groups.factual as Source[];
  return {
    ks,
    corpus,
    bySet,
    reasoningStratified: sourceTest("reasoning", reasoningSources.join("+"), reasoningSources, 20_000),
    factualStratified: sourceTest("factual", factualSources.join("+"), factualSources, 30_000),
    reasoning: compareToValue(combined("reasoning", reasoningSources), 1, options),
    factual: compareToValue(combined("factual", factualSources), 1, { ...options, seed: seed + 10_000 }),
    ...(input.corpus?.sourceGroups === undefined ? {} : { sources: input.corpus.sourceGroups }),
  };
}

/**
 * The sources of the findings' tables: the synthetic world's {@linkcode SOURCES}, or a corpus of one's own
 * `source` names in order of first appearance.
 *
 * @param input The findings input.
 * @returns Source names.
 */
export function corpusSources(input: Pick<FindingsInput, "corpus" | "documents">): readonly string[] {
  return input.corpus === undefined ? SOURCES : [...new Set(input.documents.map((d) => d.source as string))];
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
  const outcome = queries.length < 2
    ? null
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
