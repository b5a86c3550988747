/**
 * The memory plan of a setup that gives `deviceMemoryGiB`: the engine's memory plan
 * (`engine/influence/memory_plan.ts`) for the setup's model, tracked modules and sizes, as one problem
 * line when it does not fit or needs what the engine does not do yet, and the pipeline settings that
 * run it (module groups, scoring widths) for the influence stages (docs/streaming.md).
 *
 * @module
 */

import { join } from "node:path";
import type { QueriesConfig } from "../../fixtures/world/config.ts";
import type { LlamaConfig } from "../../engine/model/config.ts";
import {
  formatBytes,
  type MemoryPlan,
  MemoryPlanError,
  planInfluenceMemory,
  planSettings,
} from "../../engine/influence/memory_plan.ts";
import type { InfluencePipelineSettings } from "../../engine/influence/pipeline/mod.ts";
import { PAPER_FACTUAL_DRAW } from "../../reports/analyses/applicability.ts";
import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";
import type { Artifact, StageContext } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import type { SetupSettings } from "../schema/setup_schema.ts";

/** The generated query sets and the count of `queries` each takes. */
const SET_COUNTS: Readonly<Record<string, keyof QueriesConfig>> = {
  factual: "factualPool",
  arithmetic: "arithmetic",
  slopes: "slopes",
  linear: "linear",
  factual_control: "factualControl",
  reasoning_control: "reasoningControl",
};

/**
 * Query rows a setup scores in one pass over the documents, at most, with generated queries: its own
 * completions (the factual set drawn down to 2 × {@linkcode PAPER_FACTUAL_DRAW}), the factual queries
 * again with their gold completions, and the identity control's copy of the own rows.
 *
 * @param queries The manifest's query counts.
 * @param querySets The setup's sets.
 * @returns The row count.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plannedQueryRows } from "./memory_check.ts";
 * const counts = { factualPool: 60, arithmetic: 20, slopes: 20, linear: 20, factualControl: 10, reasoningControl: 10 };
 * assert.equal(plannedQueryRows(counts, ["factual", "slopes"]), 2 * (40 + 20) + 40);
 * ```
 */
export function plannedQueryRows(queries: QueriesConfig, querySets: readonly string[]): number {
  let own = 0, gold = 0;
  for (const set of querySets) {
    const key = SET_COUNTS[set];
    const count = key === undefined ? 0 : Number(queries[key] ?? 0);
    if (set === "factual") {
      gold = Math.min(count, 2 * PAPER_FACTUAL_DRAW);
      own += gold;
    } else {
      own += count;
    }
  }
  return 2 * own + gold;
}

/** The sizes a setup's plan is made for. */
export interface PlannedSizes {
  /** Longest document (fit and scored), tokens. */
  documentTokens: number;
  /** Longest query with its completion, tokens. */
  queryTokens: number;
  /** Query rows scored in one pass. */
  queryRows: number;
}

/**
 * Plans a setup's influence stages within its `deviceMemoryGiB`.
 *
 * @param at The setup's JSON path (`setups.7B`), for the message.
 * @param setup The setup (with `deviceMemoryGiB`).
 * @param config Its model.
 * @param sizes Token and query sizes.
 * @param software Whether the adapter is a CPU rasteriser (default false).
 * @returns A problem line naming `<at>.deviceMemoryGiB`, or null when the plan fits and the engine can
 * run it (or no budget is given).
 */
export function memoryProblem(
  at: string,
  setup: Pick<SetupSettings, "influence" | "deviceMemoryGiB">,
  config: LlamaConfig,
  sizes: PlannedSizes,
  software = false,
): string | null {
  const gib = setup.deviceMemoryGiB;
  if (gib === undefined) return null;
  const { influence } = setup;
  try {
    const plan = planSetup(setup, gib, config, sizes, software);
    if (plan.blocks !== influence.blocks && plan.eigenBlockWidth > 0) {
      return `${at}.influence.blocks must be at least ${plan.blocks}: the memory plan eigendecomposes the ` +
        `widest factor (${plan.widestFactor}) in blocks of at most ${plan.eigenBlockWidth}, got ${influence.blocks}`;
    }
    if (plan.needs.length > 0) {
      return `${at}.deviceMemoryGiB: ${gib} GiB (peak planned ${
        formatBytes(plan.peakBytes)
      }) needs what the ` +
        `engine does not do yet: ${plan.needs.join("; ")}`;
    }
    return null;
  } catch (error) {
    if (!(error instanceof MemoryPlanError)) throw error;
    return `${at}.deviceMemoryGiB: ${gib} GiB cannot hold the influence stages: ${error.message}`;
  }
}

/** The plan of a setup's influence stages within `gib` GiB. */
function planSetup(
  setup: Pick<SetupSettings, "influence">,
  gib: number,
  config: LlamaConfig,
  sizes: PlannedSizes,
  software: boolean,
): MemoryPlan {
  const { influence } = setup;
  return planInfluenceMemory({
    config,
    trackedModules: influence.trackedModules,
    strategy: influence.strategy,
    eigensolver: influence.eigensolver,
    blocks: influence.blocks === 1 ? undefined : influence.blocks,
    fitTokens: Math.max(1, sizes.documentTokens),
    scoreTokens: Math.max(1, sizes.documentTokens),
    queryTokens: Math.max(1, sizes.queryTokens),
    queries: Math.max(1, sizes.queryRows),
    budgetBytes: Math.floor(gib * 2 ** 30),
    software,
  });
}

/**
 * The sizes a setup's influence stages are planned for, from the tokenize stage's artifact: the longest
 * document, the longest query with the setup's completion budget, and the query rows (the generated sets'
 * {@linkcode plannedQueryRows}, or three rows per query of your own: own completion, gold, control).
 *
 * @param manifest The resolved manifest.
 * @param setup The setup.
 * @param tokenize The tokenize stage's artifact.
 * @returns The sizes.
 */
export async function tokenizedSizes(
  manifest: ResolvedManifest,
  setup: ResolvedSetup,
  tokenize: Artifact,
): Promise<PlannedSizes> {
  const summary = tokenize.meta.summary as { longestDocument: number; longestQuery: number };
  const queryRows = manifest.queries.path === undefined
    ? plannedQueryRows(manifest.queries, setup.querySets)
    : 3 * (JSON.parse(await Deno.readTextFile(join(tokenize.dir, "ids.json"))).queries as string[]).length;
  return {
    documentTokens: summary.longestDocument,
    queryTokens: summary.longestQuery + setup.maxCompletionTokens,
    queryRows,
  };
}

/** Pipeline settings of a setup's memory plan: module groups and scoring widths. */
export type PlannedPipelineSettings = Pick<
  InfluencePipelineSettings,
  "moduleGroups" | "scoreBatchDocuments" | "scoreProductDocuments"
>;

/**
 * The pipeline settings that run a setup's influence stages within its `deviceMemoryGiB`
 * (`planSettings` of its plan: the module groups each streamed stage holds, the scoring's batch and
 * product widths), or null when it gives no budget (every module resident, the engine's widths).
 *
 * @param setup The setup.
 * @param config Its model.
 * @param sizes Token and query sizes ({@linkcode tokenizedSizes}).
 * @returns The settings, or null.
 * @throws {UserError} One line naming `setups.<name>.deviceMemoryGiB`, when the plan does not fit or needs
 * what the engine does not do.
 */
export function plannedPipelineSettings(
  setup: ResolvedSetup,
  config: LlamaConfig,
  sizes: PlannedSizes,
): PlannedPipelineSettings | null {
  const gib = setup.deviceMemoryGiB;
  if (gib === undefined) return null;
  const problem = memoryProblem(`setups.${setup.name}`, setup, config, sizes);
  if (problem !== null) throw new UserError(`Cannot run setup ${setup.name}: ${problem}`);
  return planSettings(planSetup(setup, gib, config, sizes, false));
}

/**
 * {@linkcode plannedPipelineSettings} of a per-setup influence stage (sizes from its `tokenize` input).
 *
 * @param ctx The stage's context (the groups are logged when the plan streams).
 * @param config The setup's model.
 * @returns The settings, or null when the setup gives no `deviceMemoryGiB`.
 * @throws {UserError} When the plan does not fit or needs what the engine does not do.
 */
export async function stagePlannedSettings(
  ctx: Pick<StageContext, "manifest" | "setup" | "inputs" | "log">,
  config: LlamaConfig,
): Promise<PlannedPipelineSettings | null> {
  const setup = ctx.setup!;
  if (setup.deviceMemoryGiB === undefined) return null;
  const planned = plannedPipelineSettings(
    setup,
    config,
    await tokenizedSizes(ctx.manifest, setup, ctx.inputs.tokenize),
  )!;
  const groups = Object.entries(planned.moduleGroups ?? {});
  if (groups.length > 0) {
    ctx.log(
      `within ${setup.deviceMemoryGiB} GiB the tracked modules stream: ` +
        groups.map(([stage, n]) => `${stage} ${n} at a time`).join(", ") +
        `; scoring batches of ${planned.scoreBatchDocuments}, products of ${planned.scoreProductDocuments}`,
    );
  }
  return planned;
}
