import { z } from "zod";
import { queriesConfigSchema, worldConfigSchema } from "../../fixtures/world/config.ts";
import { setupSchema } from "./setup_schema.ts";
import { analysesSchema, reportSchema } from "./analyses_schema.ts";

/** Setup names: letters, digits, `.`, `_`, `-` (they become folder names). */
export const SETUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/**
 * The experiment manifest as written in `experiments/*.jsonc`. Every field has a default except the
 * experiment name and at least one setup. `setups.<name>` entries are partial: each is deep-merged over
 * `setupDefaults` (objects merge, arrays and scalars replace) and then validated as a whole setup.
 */
export const manifestFileSchema = z.object({
  $schema: z.string().optional().describe("Path of the JSON Schema, for editors."),
  experiment: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/).describe(
    "Experiment name: lowercase letters, digits, '-' and '_'; names the report folder.",
  ),
  description: z.string().default("").describe("What the experiment is for."),
  seed: z.number().int().min(0).max(0xffffffff).default(1234).describe(
    "Root seed: every seed left null is derived from it.",
  ),
  world: worldConfigSchema.prefault({}).describe("The synthetic pretraining world."),
  queries: queriesConfigSchema.prefault({}).describe("How many queries each query set holds."),
  setupDefaults: setupSchema.prefault({}).describe("Base block shared by every setup."),
  setups: z.record(z.string().regex(SETUP_NAME), setupSchema).refine((s) => Object.keys(s).length > 0, {
    message: "must name at least one setup",
  }).describe("The compared setups, each only what differs from setupDefaults."),
  analyses: analysesSchema.prefault({}).describe("Settings of the findings' analyses."),
  report: reportSchema.prefault({}).describe("What the report shows."),
}).strict();

/**
 * The schema a manifest file is parsed with: setup entries stay raw objects here, to be merged over
 * `setupDefaults` and validated with {@link setupSchema} one by one.
 */
export const manifestParseSchema = manifestFileSchema.extend({
  setups: z.record(z.string().regex(SETUP_NAME), z.record(z.string(), z.unknown())).refine(
    (s) => Object.keys(s).length > 0,
    { message: "must name at least one setup" },
  ),
});

/**
 * JSON Schema of the manifest file, for editors (`"$schema": "./manifest.schema.json"`). Fields with
 * defaults are optional.
 *
 * @returns A JSON Schema (draft 2020-12) object.
 */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestFileSchema, { io: "input", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
}
