import { z } from "zod";
import { modelSchema, trainingSchema } from "./model_schema.ts";
import { influenceSchema } from "./influence_schema.ts";

/** The query sets of the study (SCIENCE.md, "Their setup"). */
export const QUERY_SETS = [
  "factual",
  "arithmetic",
  "slopes",
  "linear",
  "factual_control",
  "reasoning_control",
] as const;

/** One of the study's query sets. */
export type QuerySetName = typeof QUERY_SETS[number];

/**
 * One compared setup ("7B" or "35B"): what model it is, how it is trained or which checkpoint it loads,
 * which query sets it answers, and its influence settings. In a manifest, `setupDefaults` holds the base
 * block and each entry of `setups` only what differs.
 */
export const setupSchema = z.object({
  description: z.string().default("").describe("What this setup really is, shown in the report."),
  checkpoint: z.string().min(1).nullable().default(null).describe(
    "Folder with a Hugging Face Llama config.json + model.safetensors, relative to the manifest; " +
      "null trains the proxy from `model` and `training`.",
  ),
  model: modelSchema.prefault({}),
  training: trainingSchema.prefault({}),
  querySets: z.array(z.enum(QUERY_SETS)).min(1).default([...QUERY_SETS]).describe(
    "Query sets this setup is asked (the paper: arithmetic for 7B, linear equations for 35B).",
  ),
  maxCompletionTokens: z.number().int().positive().default(200).describe(
    "Longest greedy completion generated for a query, in tokens.",
  ),
  influence: influenceSchema.prefault({}),
}).strict();

/** A resolved setup. */
export type SetupSettings = z.infer<typeof setupSchema>;
