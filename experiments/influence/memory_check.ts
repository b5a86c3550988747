/**
 * The memory check of a setup that gives `deviceMemoryGiB`: the engine's memory plan
 * (`engine/influence/memory_plan.ts`) for the setup's model, tracked modules and sizes, as one problem
 * line when it does not fit or needs what the engine does not do yet.
 *
 * @module
 */

import type { QueriesConfig } from "../../fixtures/world/config.ts";
import type { LlamaConfig } from "../../engine/model/config.ts";
import { formatBytes, MemoryPlanError, planInfluenceMemory } from "../../engine/influence/memory_plan.ts";
import { PAPER_FACTUAL_DRAW } from "../../reports/analyses/applicability.ts";
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
    const plan = planInfluenceMemory({
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
