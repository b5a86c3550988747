/**
 * Reads the counterfactual checks among the report stage's inputs.
 *
 * @module
 */
import { join } from "node:path";
import type { CounterfactualView } from "../../reports/sections/counterfactual_section.ts";
import type { StageContext } from "../run/stage.ts";
import type { CounterfactualFile } from "./counterfactual_stage.ts";

/**
 * Reads every setup's `counterfactual.json` among the report's inputs (instances `counterfactual@<setup>`).
 *
 * @param ctx The report stage's context.
 * @param setups Setup names in manifest order.
 * @returns The views of the setups whose manifest asked for the checks, in manifest order.
 */
export async function readCounterfactualViews(
  ctx: StageContext,
  setups: readonly string[],
): Promise<CounterfactualView[]> {
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
  return views;
}
