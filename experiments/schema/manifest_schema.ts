import { z } from "zod";
import {
  type QueriesConfig,
  queriesConfigSchema,
  type WorldConfig,
  worldConfigSchema,
} from "../../fixtures/world/config.ts";
import { TARGET_PROCEDURES } from "../../fixtures/world/vocabulary.ts";
import { QUERY_SET_NAME, setupSchema, type SetupSettings } from "./setup_schema.ts";
import {
  analysesSchema,
  type AnalysesSettings,
  reportSchema,
  type ReportSettings,
} from "./analyses_schema.ts";
import { counterfactualSchema, type CounterfactualSettings } from "./counterfactual_schema.ts";

/** Setup names: letters, digits, `.`, `_`, `-` (they become folder names). */
export const SETUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/**
 * A manifest file parsed with {@linkcode manifestFileSchema}, every default filled in (before setup
 * merging and seed derivation; see `ResolvedManifest` for the manifest the stages use).
 */
export interface ManifestFile {
  /** Path of the JSON Schema, for editors. */
  $schema?: string;
  /** Experiment name; names the report folder. */
  experiment: string;
  /** What the experiment is for. */
  description: string;
  /** Root seed: every seed left null is derived from it. */
  seed: number;
  /** The synthetic pretraining world. */
  world: WorldConfig;
  /** How many queries each query set holds. */
  queries: QueriesConfig;
  /** Your own documents instead of the synthetic world (absent: the synthetic world). */
  corpus?: CorpusSettings;
  /** The character tokenizer of proxies the harness trains (absent: one token per character). */
  tokenizer?: TokenizerSettings;
  /** Base block shared by every setup. */
  setupDefaults: SetupSettings;
  /** The compared setups, by name. */
  setups: Record<string, SetupSettings>;
  /** Settings of the findings' analyses. */
  analyses: AnalysesSettings;
  /** What the report shows. */
  report: ReportSettings;
  /** The counterfactual checks of the scores (absent: not run). */
  counterfactual?: CounterfactualSettings;
}

/** A manifest file parsed with {@linkcode manifestParseSchema}: setup entries still raw objects. */
export interface ParsedManifestFile extends Omit<ManifestFile, "setups"> {
  /** Each setup's entry as written, to be merged over `setupDefaults`. */
  setups: Record<string, Record<string, unknown>>;
}

/** Your own pretraining documents, in place of the synthetic world. */
export interface CorpusSettings {
  /** JSONL file, relative to the manifest: one `{id, text, source?}` per line. */
  path: string;
  /**
   * Words that mark a document as demonstrating a procedure (for F4), case-insensitive; keyed by a study
   * procedure (arithmetic, slope, linear: the procedures of the sets arithmetic, slopes, linear) or by a
   * reasoning set of the query file (its own procedure).
   */
  procedureKeywords?: Record<string, string[]>;
  /**
   * Which of the corpus's `source` names F5 compares (absent: the synthetic world's names): `reasoning`, the
   * sources expected among reasoning queries' top documents (the paper's code and math), `factual`, those
   * expected among factual queries' (the paper's wiki and trivia).
   */
  sourceGroups?: { reasoning: string[]; factual: string[] };
}

/** The character tokenizer of the proxies the harness trains on the synthetic world. */
export interface TokenizerSettings {
  /**
   * Number tokens: digit runs split left to right into chunks of up to this many digits, each chunk one
   * token, as Llama 3 tokenizes numbers (absent: one token per digit).
   */
  numberChunks?: number;
}

const tokenizerSchema = z.object({
  numberChunks: z.number().int().min(2).max(3).optional().describe(
    "Number tokens: digit runs split left to right into chunks of up to this many digits (2 or 3), each " +
      "chunk one token, as Llama 3 tokenizes numbers; absent: one token per digit.",
  ),
}).strict();

const corpusSchema = z.object({
  path: z.string().min(1).describe(
    "JSONL file of your own scored documents, relative to the manifest: one {id, text, source?} per line.",
  ),
  procedureKeywords: z.record(z.string().regex(QUERY_SET_NAME), z.array(z.string().min(1)).min(1)).optional()
    .describe(
      "Words that mark a document as demonstrating a procedure (case-insensitive), keyed by procedure " +
        `(${
          TARGET_PROCEDURES.join(", ")
        }) or by a reasoning set of queries.path; F4 is not available for a ` +
        "reasoning set whose procedure has no keywords.",
    ),
  sourceGroups: z.object({
    reasoning: z.array(z.string().min(1)).min(1).describe(
      "Sources expected among reasoning queries' top documents (the paper's code and math).",
    ),
    factual: z.array(z.string().min(1)).min(1).describe(
      "Sources expected among factual queries' top documents (the paper's wiki and trivia).",
    ),
  }).strict().optional().describe(
    "Which of the corpus's `source` names F5 compares; absent: code + math for reasoning, wiki + trivia " +
      "for factual queries, as the synthetic world names its sources.",
  ),
}).strict();

/** Whether two types are mutually assignable (a compile-time check of the schemas' outputs). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const manifestFileObject = z.object({
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
  corpus: corpusSchema.optional().describe(
    "Your own documents instead of the synthetic world (with queries.path); absent: the synthetic world.",
  ),
  tokenizer: tokenizerSchema.optional().describe(
    "The character tokenizer of proxies trained on the synthetic world (absent: one token per character); " +
      "a checkpoint's own tokenizer.json takes its place for a model you bring.",
  ),
  setupDefaults: setupSchema.prefault({}).describe("Base block shared by every setup."),
  setups: z.record(z.string().regex(SETUP_NAME), setupSchema).refine((s) => Object.keys(s).length > 0, {
    message: "must name at least one setup",
  }).describe("The compared setups, each only what differs from setupDefaults."),
  analyses: analysesSchema.prefault({}).describe("Settings of the findings' analyses."),
  report: reportSchema.prefault({}).describe("What the report shows."),
  counterfactual: counterfactualSchema.optional().describe(
    "Counterfactual checks of the scores: fine-tunes on each sampled query's top, bottom and random " +
      "documents, and the linear datamodeling score per strategy (absent: not run).",
  ),
}).strict();

/**
 * The experiment manifest as written in `experiments/*.jsonc`. Every field has a default except the
 * experiment name and at least one setup. `setups.<name>` entries are partial: each is deep-merged over
 * `setupDefaults` (objects merge, arrays and scalars replace) and then validated as a whole setup.
 */
export const manifestFileSchema: z.ZodType<ManifestFile> = manifestFileObject;
const _manifestFileMatches: SameType<z.output<typeof manifestFileObject>, ManifestFile> = true;

const manifestParseObject = manifestFileObject.extend({
  setups: z.record(z.string().regex(SETUP_NAME), z.record(z.string(), z.unknown())).refine(
    (s) => Object.keys(s).length > 0,
    { message: "must name at least one setup" },
  ),
});

/**
 * The schema a manifest file is parsed with: setup entries stay raw objects here, to be merged over
 * `setupDefaults` and validated with {@link setupSchema} one by one.
 */
export const manifestParseSchema: z.ZodType<ParsedManifestFile> = manifestParseObject;
const _manifestParseMatches: SameType<z.output<typeof manifestParseObject>, ParsedManifestFile> = true;

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
