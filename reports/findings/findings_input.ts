import type { Document, Query, QuerySet } from "../../fixtures/world/types.ts";
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

/** What the findings are computed from. */
export interface FindingsInput {
  /** Setups in report order (the first is the smaller, "7B"; the last the larger). */
  setups: SetupScores[];
  /** The scored documents with their ground truth, in column order. */
  documents: readonly Document[];
  settings: FindingsSettings;
  /** Seed of every permutation and bootstrap stream. */
  seed: number;
}

/** Groups the findings compare: factual recall, reasoning (the three procedures), and the controls. */
export type QueryGroup = "factual" | "reasoning" | "control";

/** The group of a query set. */
export function groupOf(set: QuerySet): QueryGroup {
  if (set === "factual") return "factual";
  if (set === "factual_control" || set === "reasoning_control") return "control";
  return "reasoning";
}
