import { z } from "zod";

const positiveInt = z.number().int().positive();

/** Settings of the findings' analyses (SCIENCE.md F1-F5), scaled to the corpus size. */
export const analysesSchema = z.object({
  topK: z.array(positiveInt).min(1).default([10, 50, 200, 1000]).describe(
    "k values for source over-representation among the top-k and bottom-k documents (F5).",
  ),
  topPercents: z.array(z.number().gt(0).max(100)).min(1).default([1, 2, 5, 10, 20, 50, 100]).describe(
    "p values for the cumulative influence of the top p% positive documents (F2).",
  ),
  powerLawTopN: positiveInt.default(100).describe("Documents in the rank-size power-law fit (F2)."),
  answerSearchTopK: positiveInt.default(50).describe(
    "Top documents searched for the answer (F3; the paper: 500 of 5M).",
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

/** Resolved analyses settings. */
export type AnalysesSettings = z.infer<typeof analysesSchema>;

/** What the report shows and how much it inlines. */
export const reportSchema = z.object({
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

/** Resolved report settings. */
export type ReportSettings = z.infer<typeof reportSchema>;
