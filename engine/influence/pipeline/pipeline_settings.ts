/**
 * The influence pipeline's settings: one typed object for every stage of the computation.
 *
 * @module
 */

import type { BlockLinear } from "../../model/param_names.ts";
import { type DampingSetting, DEFAULT_DAMPING, type InfluenceStrategy } from "../settings.ts";
import { DEFAULT_TRACKED_MODULES } from "../tracked_layers.ts";
import { type ModuleGroups, moduleGroupsProblem } from "./module_groups.ts";
import { SCORE_BATCH_DOCUMENTS, SCORE_PRODUCT_DOCUMENTS } from "./score_documents.ts";

/** Labels of the Fisher fit: sampled from the model (true Fisher), the data's own, or the exact expectation. */
export type FisherLabels = "sampled" | "empirical" | "exact";

/** Every numerical setting of the influence pipeline (docs/method.md, "EK-FAC, step by step"). */
export interface InfluencePipelineSettings {
  /** Preconditioner: EK-FAC, K-FAC, diagonal, or identity (plain gradient dot product). */
  strategy: InfluenceStrategy;
  /** Linear modules of every block whose weights are tracked. */
  trackedModules: readonly BlockLinear[];
  /** Damping λ added to the curvature. */
  damping: DampingSetting;
  /** Fisher labels of the fit. */
  labels: FisherLabels;
  /** Block-diagonal A and S: number of diagonal blocks. */
  blocks: 1 | 2 | 4;
  /** Eigendecomposition of A and S: float64 on the CPU, or the WGSL parallel Jacobi solver. */
  eigensolver: "cpu-f64" | "gpu-jacobi";
  /** Fit documents per part (a positive multiple of `FIT_BATCH_DOCUMENTS`, 8). */
  fitPartDocuments: number;
  /** Rank-k truncation of each preconditioned query gradient; null keeps full rank. */
  queryRank: number | null;
  /** Documents scored per chunk (the unit a scoring run yields, saves and resumes). */
  scoreChunkDocuments: number;
  /**
   * Documents per forward/backward batch of the scoring (default 16, `SCORE_BATCH_DOCUMENTS`; fewer when
   * a batch's logits would exceed a binding: a document's scores do not depend on its batch).
   */
  scoreBatchDocuments: number;
  /**
   * Documents per query product of the scoring (default 128, `SCORE_PRODUCT_DOCUMENTS`; at least
   * `scoreBatchDocuments`): fixes the scorer's work buffers, L·this·out·in floats (fewer when one module's
   * document gradients would exceed a binding).
   */
  scoreProductDocuments: number;
  /** Per-token scores are computed for this many top documents of each query. */
  perTokenTopDocuments: number;
  /** Seed of the sampled labels (Philox draws 0 and 1 of the two fit passes). */
  seed: number;
  /**
   * Tracked modules per group, per stage, for stages that hold the modules on the device one group at a
   * time (one pass over the stage's documents or queries per group; docs/streaming.md), e.g. from
   * `moduleGroupsOf(planInfluenceMemory(…))`; null (the default) keeps every module resident.
   */
  moduleGroups: ModuleGroups | null;
}

/** The defaults: EK-FAC over the MLP projections with sampled labels, as Ruis et al. */
export const DEFAULT_PIPELINE_SETTINGS: Readonly<InfluencePipelineSettings> = {
  strategy: "ekfac",
  trackedModules: DEFAULT_TRACKED_MODULES,
  damping: DEFAULT_DAMPING,
  labels: "sampled",
  blocks: 1,
  eigensolver: "cpu-f64",
  fitPartDocuments: 128,
  queryRank: null,
  scoreChunkDocuments: 256,
  scoreBatchDocuments: SCORE_BATCH_DOCUMENTS,
  scoreProductDocuments: SCORE_PRODUCT_DOCUMENTS,
  perTokenTopDocuments: 5,
  seed: 0,
  moduleGroups: null,
};

/**
 * Complete settings: the given fields over {@linkcode DEFAULT_PIPELINE_SETTINGS}, checked.
 *
 * @param settings Fields to set.
 * @returns The settings.
 * @throws {RangeError} Naming the field, what it must be and what was found.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipelineSettings } from "./pipeline_settings.ts";
 * assert.equal(pipelineSettings({ strategy: "kfac" }).labels, "sampled");
 * assert.throws(() => pipelineSettings({ fitPartDocuments: 12 }), /fitPartDocuments/);
 * ```
 */
export function pipelineSettings(
  settings: Partial<InfluencePipelineSettings> = {},
): InfluencePipelineSettings {
  const out = { ...DEFAULT_PIPELINE_SETTINGS, ...settings };
  const fail = (field: string, expected: string, found: unknown) => {
    throw new RangeError(`Influence settings: ${field} must be ${expected}, found ${JSON.stringify(found)}`);
  };
  if (
    !Number.isSafeInteger(out.fitPartDocuments) || out.fitPartDocuments < 8 || out.fitPartDocuments % 8 !== 0
  ) {
    fail("fitPartDocuments", "a positive multiple of 8", out.fitPartDocuments);
  }
  if (!Number.isSafeInteger(out.scoreChunkDocuments) || out.scoreChunkDocuments < 1) {
    fail("scoreChunkDocuments", "a positive integer", out.scoreChunkDocuments);
  }
  if (!Number.isSafeInteger(out.scoreBatchDocuments) || out.scoreBatchDocuments < 1) {
    fail("scoreBatchDocuments", "a positive integer", out.scoreBatchDocuments);
  }
  if (
    !Number.isSafeInteger(out.scoreProductDocuments) || out.scoreProductDocuments < out.scoreBatchDocuments
  ) {
    fail(
      "scoreProductDocuments",
      `an integer of at least scoreBatchDocuments (${out.scoreBatchDocuments})`,
      out.scoreProductDocuments,
    );
  }
  if (!Number.isSafeInteger(out.perTokenTopDocuments) || out.perTokenTopDocuments < 0) {
    fail("perTokenTopDocuments", "a non-negative integer", out.perTokenTopDocuments);
  }
  if (out.queryRank !== null && (!Number.isSafeInteger(out.queryRank) || out.queryRank < 1)) {
    fail("queryRank", "a positive integer or null", out.queryRank);
  }
  if (!Number.isSafeInteger(out.seed) || out.seed < 0) fail("seed", "a non-negative integer", out.seed);
  if (![1, 2, 4].includes(out.blocks)) fail("blocks", "1, 2 or 4", out.blocks);
  if (out.trackedModules.length === 0) fail("trackedModules", "at least one module", out.trackedModules);
  const groups = moduleGroupsProblem(out.moduleGroups);
  if (groups !== null) throw new RangeError(`Influence settings: ${groups}`);
  return out;
}
