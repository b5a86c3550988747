import { z } from "zod";
import { QUERY_SETS, type QuerySet } from "../../fixtures/world/vocabulary.ts";
import { modelSchema, type ModelSettings, trainingSchema, type TrainingSettings } from "./model_schema.ts";
import { influenceSchema, type InfluenceSettings } from "./influence_schema.ts";

/**
 * A query set's name: one of the study's six sets ({@linkcode QUERY_SETS}) for the synthetic world, or
 * any `set` of the manifest's own query file (`queries.path`).
 */
export type QuerySetName = QuerySet | (string & Record<never, never>);

/** What a query set's name may look like (a user's set names become table keys and report labels). */
export const QUERY_SET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A resolved setup ({@linkcode setupSchema}'s output; each field's help is in the schema). */
export interface SetupSettings {
  /** What this setup really is, shown in the report. */
  description: string;
  /** Folder with a Hugging Face Llama checkpoint, relative to the manifest; null trains the proxy. */
  checkpoint: string | null;
  /** The proxy's shape. */
  model: ModelSettings;
  /** How the proxy is trained. */
  training: TrainingSettings;
  /**
   * Query sets this setup is asked. With the manifest's own `queries.path`, the resolved manifest holds
   * null when none is given: every set of that file.
   */
  querySets: QuerySetName[];
  /** Longest greedy completion generated for a query, in tokens. */
  maxCompletionTokens: number;
  /** The influence settings. */
  influence: InfluenceSettings;
  /**
   * Device memory the influence stages may use, GiB; when given, the stages run the memory plan's module
   * groups (`engine/influence/memory_plan.ts`, docs/streaming.md), and the run is refused before it
   * starts if the plan does not fit it. Absent: not checked, every tracked module resident.
   */
  deviceMemoryGiB?: number;
}

/** Whether two types are mutually assignable (a compile-time check of the schema's output). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const setupObject = z.object({
  description: z.string().default("").describe("What this setup really is, shown in the report."),
  checkpoint: z.string().min(1).nullable().default(null).describe(
    "Folder with a Hugging Face Llama config.json + model.safetensors, relative to the manifest; " +
      "null trains the proxy from `model` and `training`.",
  ),
  model: modelSchema.prefault({}),
  training: trainingSchema.prefault({}),
  querySets: z.array(z.string().regex(QUERY_SET_NAME)).min(1).default([...QUERY_SETS]).describe(
    "Query sets this setup is asked (the paper: arithmetic for 7B, linear equations for 35B): the study's " +
      "sets factual, arithmetic, slopes, linear, factual_control, reasoning_control; with queries.path, " +
      "the set names of that file (default: every set of the file).",
  ),
  maxCompletionTokens: z.number().int().positive().default(200).describe(
    "Longest greedy completion generated for a query, in tokens.",
  ),
  influence: influenceSchema.prefault({}),
  deviceMemoryGiB: z.number().positive().optional().describe(
    "Device memory the influence stages may use, in GiB (e.g. 80 for an H100): the stages hold the tracked " +
      "modules in the groups of the memory plan (factors and query rows written per module), and the run is " +
      "refused before it starts when the plan of the fit, query gradients and scoring does not fit it, or " +
      "needs what the engine does not do (several passes of query rows). Absent: not checked, every module " +
      "resident.",
  ),
}).strict();

/**
 * One compared setup ("7B" or "35B"): what model it is, how it is trained or which checkpoint it loads,
 * which query sets it answers, and its influence settings. In a manifest, `setupDefaults` holds the base
 * block and each entry of `setups` only what differs.
 */
export const setupSchema: z.ZodType<SetupSettings> = setupObject;
const _setupMatches: SameType<z.output<typeof setupObject>, SetupSettings> = true;
