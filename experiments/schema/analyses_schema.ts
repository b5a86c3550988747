import { z } from "zod";

const positiveInt = z.number().int().positive();

/** Bootstrap intervals over queries. */
export interface BootstrapSettings {
  /** Bootstrap resamples over queries. */
  resamples: number;
  /** Confidence level of the intervals. */
  confidence: number;
}

/** Resolved analyses settings ({@linkcode analysesSchema}'s output; each field's help is in the schema). */
export interface AnalysesSettings {
  /** k values for source over-representation among the top-k and bottom-k documents (F5). */
  topK: number[];
  /** p values for the cumulative influence of the top p% positive documents (F2). */
  topPercents: number[];
  /** Documents in the rank-size power-law fit (F2). */
  powerLawTopN: number;
  /** Top documents the planted-fact check searches for a fact's documents. */
  answerSearchTopK: number;
  /** F3's depth: the share of the scored documents searched for the answer. */
  answerSearchShare: number;
  /** Top documents checked for the same procedure (F4). */
  procedureTopK: number;
  /** Permutation draws of every finding's test (0: no tests). */
  permutations: number;
  /** Least share of a reasoning query set answered right for a setup to be applicable. */
  minAccuracy: number;
  /** Least share of distinct completions among a query set's scored queries. */
  minDistinctShare: number;
  /** Bootstrap intervals. */
  bootstrap: BootstrapSettings;
}

/** Resolved report settings ({@linkcode reportSchema}'s output). */
export interface ReportSettings {
  /** Report title. */
  title: string;
  /** Queries per setup that get a detailed section. */
  queryPages: number;
  /** Top and bottom documents shown for each detailed query. */
  documentsPerQuery: number;
  /** Rows inlined per table before it is truncated. */
  maxTableRows: number;
}

/** Whether two types are mutually assignable (a compile-time check of the schemas' outputs). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const analysesObject = z.object({
  topK: z.array(positiveInt).min(1).default([10, 50, 200, 1000]).describe(
    "k values for source over-representation among the top-k and bottom-k documents (F5).",
  ),
  topPercents: z.array(z.number().gt(0).max(100)).min(1).default([1, 2, 5, 10, 20, 50, 100]).describe(
    "p values for the cumulative influence of the top p% positive documents (F2).",
  ),
  powerLawTopN: positiveInt.default(100).describe("Documents in the rank-size power-law fit (F2)."),
  answerSearchTopK: positiveInt.default(50).describe(
    "Top documents the planted-fact check searches for the documents stating a factual query's fact.",
  ),
  answerSearchShare: z.number().gt(0).max(1).default(0.0025).describe(
    "F3's depth: the share of the scored documents searched for the answer, k = max(1, round(share × " +
      "documents)). The paper searched its top 500 of about 5M documents (0.01%); at 4,000 scored documents " +
      "that depth is under one document, so the default keeps the smallest depth with ten documents " +
      "(0.25%: 25× the paper's), and F3 compares each query with its chance of finding the answer in that " +
      "many random documents.",
  ),
  procedureTopK: positiveInt.default(20).describe(
    "Top documents checked for the same procedure (F4; the paper: 100).",
  ),
  permutations: z.number().int().min(0).default(1000).describe(
    "Permutation draws of every finding's test over queries, and of F1's per-set document-shuffle " +
      "baseline (0: no tests, every verdict inconclusive).",
  ),
  minAccuracy: z.number().min(0).max(1).default(0.8).describe(
    "Least share of a reasoning query set answered right (greedy) for a setup to be applicable to the " +
      "findings that use the set (the paper's criterion: 0.8).",
  ),
  minDistinctShare: z.number().min(0).max(1).default(0.9).describe(
    "Least share of distinct completions among a query set's scored queries for a setup to be " +
      "applicable to the findings that use the set.",
  ),
  bootstrap: z.object({
    resamples: z.number().int().min(0).default(1000).describe("Bootstrap resamples over queries."),
    confidence: z.number().gt(0).lt(1).default(0.95).describe("Confidence level of the intervals."),
  }).strict().prefault({}),
}).strict();

/** Settings of the findings' analyses (docs/method.md, "The findings"), scaled to the corpus size. */
export const analysesSchema: z.ZodType<AnalysesSettings> = analysesObject;
const _analysesMatches: SameType<z.output<typeof analysesObject>, AnalysesSettings> = true;

const reportObject = z.object({
  title: z.string().min(1).default("Procedural knowledge in pretraining: 7B vs 35B proxies").describe(
    "Report title.",
  ),
  queryPages: z.number().int().min(0).default(20).describe(
    "Queries per setup that get a detailed section (top documents, per-token influence).",
  ),
  documentsPerQuery: z.number().int().min(0).default(5).describe(
    "Top and bottom documents shown for each detailed query.",
  ),
  maxTableRows: positiveInt.default(200).describe("Rows inlined per table before it is truncated."),
}).strict();

/** What the report shows and how much it inlines. */
export const reportSchema: z.ZodType<ReportSettings> = reportObject;
const _reportMatches: SameType<z.output<typeof reportObject>, ReportSettings> = true;
