import { join } from "node:path";
import type { Section } from "../../reports/render/mod.ts";
import {
  counterfactualSection,
  type CounterfactualView,
} from "../../reports/sections/counterfactual_section.ts";
import type { StageContext } from "../run/stage.ts";
import type { CounterfactualFile } from "./counterfactual_stage.ts";

/** What the report takes from the counterfactual stage: its section and its `validation` fields. */
export interface CounterfactualReport {
  /** The "Counterfactual checks" section, or null when no setup ran the checks. */
  section: Section | null;
  /**
   * `validation.counterfactual[setup]` (k, query ids, `{mean, low, high}` per arm, per-set breakdowns)
   * and `validation.lds[setup][strategy]` (`{mean, low, high, subsets}`); empty when nothing ran.
   */
  validation: { counterfactual?: Record<string, unknown>; lds?: Record<string, unknown> };
}

const pick = (v: { mean: number; low: number; high: number }) => ({ mean: v.mean, low: v.low, high: v.high });

/**
 * Reads every setup's `counterfactual.json` among the report's inputs (instances `counterfactual@<setup>`).
 *
 * @param ctx The report stage's context.
 * @param setups Setup names in manifest order.
 * @returns The section and the validation fields.
 */
export async function counterfactualReport(
  ctx: StageContext,
  setups: readonly string[],
): Promise<CounterfactualReport> {
  const views: CounterfactualView[] = [];
  for (const setup of setups) {
    const artifact = ctx.inputs[`counterfactual@${setup}`];
    if (artifact === undefined) continue;
    const file = JSON.parse(
      await Deno.readTextFile(join(artifact.dir, "counterfactual.json")),
    ) as CounterfactualFile;
    if (file.settings === null) continue;
    views.push({ setup, ...file } as CounterfactualView);
  }
  if (views.length === 0) return { section: null, validation: {} };
  const arms = (a: Record<string, { mean: number; low: number; high: number }>) =>
    Object.fromEntries(Object.entries(a).map(([arm, v]) => [arm, pick(v)]));
  return {
    section: counterfactualSection(views),
    validation: {
      counterfactual: Object.fromEntries(views.map((v) => [v.setup, {
        k: v.k,
        queries: v.queries,
        protocol: v.settings!.protocol,
        ...arms(v.arms),
        bySet: Object.fromEntries(Object.entries(v.bySet).map(([set, a]) => [set, arms(a)])),
      }])),
      lds: Object.fromEntries(views.map((v) => [
        v.setup,
        Object.fromEntries(
          Object.entries(v.lds).map(([strategy, l]) => [strategy, { ...pick(l), subsets: l.subsets }]),
        ),
      ])),
    },
  };
}
