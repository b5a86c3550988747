/**
 * Reads the counterfactual checks among the report stage's inputs.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { checkedFields, jsonNumber } from "../../reports/compose/checked_fields.ts";
import type { CounterfactualView } from "../../reports/sections/counterfactual_section.ts";
import type { StageContext } from "../run/stage.ts";
import { COUNTERFACTUAL_ARMS } from "./counterfactual_stage.ts";

const interval = z.object({ mean: jsonNumber, low: jsonNumber, high: jsonNumber });
const arms = z.record(z.enum(COUNTERFACTUAL_ARMS), interval);

/** What the report reads of a `counterfactual.json` that ran (the stage's other fields are left out). */
const ranSchema: z.ZodType<Omit<CounterfactualView, "setup">, unknown> = z.object({
  settings: z.object({
    protocol: z.enum(["gradient", "pbrf"]),
    lr: z.number(),
    steps: z.number().int(),
    epsilon: z.number(),
    iterations: z.number().int(),
  }),
  k: z.number().int().positive(),
  queries: z.array(z.string()),
  strategy: z.string(),
  arms,
  bySet: z.record(z.string(), arms),
  points: z.array(z.object({
    query: z.string(),
    set: z.string(),
    arm: z.enum(COUNTERFACTUAL_ARMS),
    measured: z.number().nullable(),
    predicted: z.number().nullable(),
    identity: z.number().nullable(),
  })),
  lds: z.record(z.string(), interval.extend({ subsets: z.number().int() })),
  linearity: z.number().nullable(),
  pbrf: z.object({ maxResidual: z.number() }).nullable(),
});

/**
 * Reads every setup's `counterfactual.json` among the report's inputs (instances `counterfactual@<setup>`).
 *
 * @param ctx The report stage's context.
 * @param setups Setup names in manifest order.
 * @returns The views of the setups whose manifest asked for the checks, in manifest order.
 * @throws {Error} One line naming the file, the field, what was expected and what was found, when a file
 *   is not JSON or lacks a field the report reads.
 */
export async function readCounterfactualViews(
  ctx: StageContext,
  setups: readonly string[],
): Promise<CounterfactualView[]> {
  const views: CounterfactualView[] = [];
  for (const setup of setups) {
    const artifact = ctx.inputs[`counterfactual@${setup}`];
    if (artifact === undefined) continue;
    const path = join(artifact.dir, "counterfactual.json");
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
    // A setup whose manifest has no `counterfactual` block: the stage wrote its null settings only.
    if (z.object({ settings: z.null() }).safeParse(json).success) continue;
    views.push({ setup, ...checkedFields(ranSchema, json, path) });
  }
  return views;
}
