import type { Document, Query } from "../../fixtures/world/types.ts";
import { QUERY_SETS } from "../../fixtures/world/vocabulary.ts";
import type { GradedCompletion } from "../analyses/applicability.ts";
import type { BootstrapOptions } from "../analyses/bootstrap_mean.ts";

/** One setup's scores and the queries they belong to. */
export interface SetupScores {
  setup: string;
  /** D: documents (columns), in the order of {@linkcode FindingsInput.documents}. */
  documents: number;
  /** Raw scores, row-major [rows × D] (positive: the document raises log p(completion)). */
  scores: ArrayLike<number>;
  /** Per-nat scores (raw ÷ the query's nats), same shape. */
  perNat: ArrayLike<number>;
  /** Gradient-norm-normalised scores (raw ÷ the document-gradient norm), same shape, when available. */
  normalised?: ArrayLike<number>;
  /** The rows measured with the model's own completion, in row order; gold rows are left out. */
  queries: { row: number; query: Query; correct: boolean }[];
  /**
   * Every completion the setup's model wrote (the complete stage's `completions.jsonl`), graded: the
   * applicability gates read accuracy and distinct completions from them.
   */
  completions: readonly GradedCompletion[];
  /** The group of every query set asked, for the manifest's own query file ({@linkcode UserCorpus.groups}). */
  groups?: Readonly<Record<string, QueryGroup>>;
}

/** Settings of the findings (the manifest's `analyses` block, resolved). */
export interface FindingsSettings {
  topK: number[];
  topPercents: number[];
  powerLawTopN: number;
  answerSearchTopK: number;
  /** F3's depth as a share of the documents. */
  answerSearchShare: number;
  procedureTopK: number;
  /** Null draws of every finding's permutation test, and F1's per-set document-shuffle baseline. */
  permutations: number;
  bootstrap: Omit<BootstrapOptions, "seed">;
  /** Least accuracy of a reasoning set for its setup to be applicable to the findings using it. */
  minAccuracy: number;
  /** Least share of distinct completions among a set's scored queries. */
  minDistinctShare: number;
}

/**
 * What the manifest's own corpus (`corpus.path`, `queries.path`) allows the findings that need the synthetic
 * world's ground truth (docs/method.md, "Your own corpus"). Absent for the synthetic world.
 */
export interface UserCorpus {
  /** The group of every query set asked (the queries' `kind`, or a study set's own group). */
  groups: Record<string, QueryGroup>;
  /**
   * Per reasoning set: the `corpus.procedureKeywords` key that marks the documents demonstrating its
   * procedure (a study set's procedure, or the set's own name), or null when there is none (F4 leaves the
   * set out).
   */
  procedures: Record<string, string | null>;
  /** The `source` names F5 compares: `corpus.sourceGroups` (absent: the synthetic world's names). */
  sourceGroups?: SourceGroups;
}

/** The sources F5 compares: those expected among reasoning and among factual queries' top documents. */
export interface SourceGroups {
  /** Sources expected among reasoning queries' top documents (the paper's code and math). */
  reasoning: string[];
  /** Sources expected among factual queries' top documents (the paper's wiki and trivia). */
  factual: string[];
}

/** What the findings are computed from. */
export interface FindingsInput {
  /** Setups in report order (the first is the smaller, "7B"; the last the larger). */
  setups: SetupScores[];
  /** The scored documents with their ground truth, in column order. */
  documents: readonly Document[];
  settings: FindingsSettings;
  /** Seed of every permutation and bootstrap stream. */
  seed: number;
  /** The manifest's own corpus and what it allows; absent for the synthetic world. */
  corpus?: UserCorpus;
}

/** Groups the findings compare: factual recall, reasoning (the three procedures), and the controls. */
export type QueryGroup = "factual" | "reasoning" | "control";

/**
 * The group of a query set: a study set's own (factual; arithmetic, slopes, linear: reasoning; the two
 * controls: control), or for a set of the manifest's own query file the kind its queries give.
 *
 * @param set A query set.
 * @param groups The groups of a query file's own sets ({@linkcode UserCorpus.groups}).
 * @returns The group.
 * @throws {Error} For a set that is neither a study set nor in `groups`.
 */
export function groupOf(set: string, groups?: Readonly<Record<string, QueryGroup>>): QueryGroup {
  const own = groups?.[set];
  if (own !== undefined) return own;
  if (set === "factual") return "factual";
  if (set === "factual_control" || set === "reasoning_control") return "control";
  if ((QUERY_SETS as readonly string[]).includes(set)) return "reasoning";
  throw new Error(`groupOf: query set ${set} is not a study set and has no kind`);
}

/** The sources F5r and F5f compare in the synthetic world (and in a corpus without `corpus.sourceGroups`). */
export const F5_SOURCES: SourceGroups = { reasoning: ["code", "math"], factual: ["wiki", "trivia"] };

/**
 * The sources F5 compares for a findings input: the corpus's `sourceGroups`, else {@linkcode F5_SOURCES}.
 *
 * @param input The findings input.
 * @returns The reasoning and factual source groups.
 */
export function f5SourceGroups(input: Pick<FindingsInput, "corpus">): SourceGroups {
  return input.corpus?.sourceGroups ?? F5_SOURCES;
}
