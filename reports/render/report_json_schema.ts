/**
 * The zod schema of `report.json`: the fields the README's "Reports" section lists, permissive on extra fields so
 * that analyses can add their own without a schema change.
 *
 * @module
 */

import { z } from "zod";
import { SEMVER_PATTERN } from "./schema_version.ts";

/** Whether two types are mutually assignable (a compile-time check of the schemas' outputs). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The engine's tiled GEMM configuration. */
export interface TiledConfig {
  /** Rows of a workgroup's output tile. */
  tileM: number;
  /** Columns of a workgroup's output tile. */
  tileN: number;
  /** Depth of a tile step. */
  tileK: number;
  /** Rows per thread. */
  threadM: number;
  /** Columns per thread. */
  threadN: number;
  /** Fields added later. */
  [key: string]: unknown;
}

/** The engine's kernel choices for an adapter. */
export interface AdapterKernels {
  /** GEMM family. */
  gemmFamily: "software" | "tiled";
  /** Tile configuration of the tiled family. */
  tiledConfig: TiledConfig;
  /** Rows per attention block. */
  attentionRows: number;
  /** Fields added later. */
  [key: string]: unknown;
}

/** The WebGPU adapter a run used ({@linkcode adapterSchema}'s output). */
export interface AdapterRecord {
  /** `GPUAdapterInfo.vendor`. */
  vendor: string;
  /** `GPUAdapterInfo.architecture`. */
  architecture: string;
  /** `GPUAdapterInfo.device`. */
  device: string;
  /** `GPUAdapterInfo.description`. */
  description: string;
  /** Whether the adapter is a fallback (software) adapter. */
  isFallbackAdapter: boolean;
  /** The engine's kernel choices for the adapter (reports before 2026-11-28 lack them). */
  kernels?: AdapterKernels;
  /** Fields added later. */
  [key: string]: unknown;
}

/** Where a run's numbers came from ({@linkcode provenanceSchema}'s output). */
export interface Provenance {
  /** The resolved manifest, every default filled in. */
  manifest: Record<string, unknown>;
  /** sha256 of the manifest's canonical JSON. */
  manifestSha256: string;
  /** Git commit (null outside a repository) and whether the working tree had changes. */
  git: { commit: string | null; dirty: boolean | null; [key: string]: unknown };
  /** `Deno.version.deno`. */
  deno: string;
  /** sha256 of deno.lock, or null when the run had no lockfile. */
  lockfileSha256: string | null;
  /** Operating system, for example `linux x86_64`. */
  os: string;
  /** Logical CPUs. */
  cpuCount: number;
  /** The adapter, or null for runs that used no GPU stage. */
  adapter: AdapterRecord | null;
  /** The manifest's root seed. */
  rootSeed: number;
  /** Fields added later. */
  [key: string]: unknown;
}

/** Where one reasoning set's completions' chains break. */
export interface StepDiagnosticsRecord {
  /** Completions graded. */
  completions: number;
  /** Distinct completion texts (since schema 1.3.0). */
  distinctCompletions?: number;
  /** Completions that copied the query's operands into their first step. */
  operandsCopied: number;
  /** Completions whose first step is right. */
  firstStepRight: number;
  /** Equations written. */
  equations: number;
  /** Of those, right for the completion's own numbers. */
  equationsRight: number;
}

/** The applicability gates of one query set. */
export interface GateRecord {
  /** Graded completions of the set. */
  completions: number;
  /** Of those, right. */
  correct: number;
  /** `correct / completions` (null: none). */
  accuracy: number | null;
  /** Whether accuracy gates the set (reasoning sets). */
  accuracyGated: boolean;
  /** Scored queries of the set. */
  scored: number;
  /** Their distinct completion texts. */
  distinct: number;
  /** `distinct / scored` (null: none). */
  distinctShare: number | null;
  /** Whether the set passes both gates. */
  applicable: boolean;
  /** Why not, or null. */
  reason: string | null;
  /** Fields added later. */
  [key: string]: unknown;
}

/** The factual queries the findings use, against the paper's draw. */
export interface FactualDrawRecord {
  /** Factual queries asked. */
  pool: number;
  /** Used, answered right. */
  right: number;
  /** Used, answered wrong. */
  wrong: number;
  /** Whether they are the paper's draw of 20 and 20. */
  paperDraw: boolean;
  /** What was drawn. */
  note: string;
  /** Fields added later. */
  [key: string]: unknown;
}

/** One compared setup in `report.json` ({@linkcode setupSchema}'s output). */
export interface ReportSetup {
  /** What the setup really is (architecture, size, data). */
  description: string;
  /** Parameters of the model. */
  parameterCount: number;
  /** sha256 of model.safetensors, or null while the setup has no trained checkpoint. */
  checkpointSha256: string | null;
  /** Fraction correct in [0, 1] per query set. */
  accuracy: Record<string, number>;
  /** Per reasoning set: where the completions' chains break (since schema 1.2.0). */
  stepDiagnostics?: Record<string, StepDiagnosticsRecord>;
  /** Per query set: the applicability gates (since schema 1.4.0). */
  gates?: Record<string, GateRecord>;
  /** The factual queries the findings use against the paper's draw (1.4.0). */
  factualDraw?: FactualDrawRecord | null;
  /** Fields added later. */
  [key: string]: unknown;
}

/** A measured value for one setup ({@linkcode measuredValueSchema}'s output). */
export type MeasuredValue = number | null | Record<string, number | null | boolean | string>;

/** One finding entry of `report.json` ({@linkcode findingSchema}'s output). */
export interface Finding {
  /** Finding id, for example `F1`. */
  id: string;
  /** The paper's value or statement this is compared with. */
  paperFigure: string | number | Record<string, string | number>;
  /** Measured value per setup name. */
  measured: Record<string, MeasuredValue>;
  /** The test statistic behind the verdict, or null when none applies. */
  statistic: { name: string; value: number | null; pValue?: number | null; [key: string]: unknown } | null;
  /** Per setup name: its verdict. */
  verdicts?: Record<string, typeof SETUP_VERDICTS[number]>;
  /** The overall verdict. */
  verdict: typeof FINDING_VERDICTS[number];
  /** The overall verdict naming the setups left out (1.4.0). */
  verdictText?: string;
  /**
   * The same finding measured on each control's scores (1.5.0): `identity` (the trained model's plain
   * gradient dot product), `lexical` (BM25), `untrained` (the architecture at its random initialisation),
   * each with `measured` and `verdicts` shaped as the finding's own.
   */
  controls?: Record<
    string,
    { measured: Record<string, MeasuredValue>; verdicts: Record<string, typeof SETUP_VERDICTS[number]> }
  >;
  /** Per setup: the lexical or untrained controls that reproduce the finding as strongly as influence (1.5.0). */
  explainedBy?: Record<string, string[]>;
  /** Fields added later. */
  [key: string]: unknown;
}

/** A parsed `report.json` payload ({@linkcode reportJsonSchema}'s output). */
export interface ReportJson {
  /** Semantic version of the report format. */
  schemaVersion: string;
  /** The experiment's name. */
  experiment: string;
  /** The run's id. */
  runId: string;
  /** ISO 8601 date-time with offset. */
  createdAt: string;
  /** Where the numbers came from. */
  provenance: Provenance;
  /** Seconds per pipeline stage. */
  timings: Record<string, number>;
  /** Per setup name. */
  setups: Record<string, ReportSetup>;
  /** Influence strategy and every numerical setting. */
  influence: { strategy: string; [key: string]: unknown };
  /** The findings. */
  findings: Finding[];
  /** Self-checks (planted facts, cross-checks) and their outcomes. */
  validation: Record<string, unknown>;
  /** Fields added later. */
  [key: string]: unknown;
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex sha256");

const adapterObject = z.looseObject({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  isFallbackAdapter: z.boolean(),
  /** The engine's kernel choices for the adapter (reports before 2026-11-28 lack them). */
  kernels: z.looseObject({
    gemmFamily: z.enum(["software", "tiled"]),
    tiledConfig: z.looseObject({
      tileM: z.number().int().positive(),
      tileN: z.number().int().positive(),
      tileK: z.number().int().positive(),
      threadM: z.number().int().positive(),
      threadN: z.number().int().positive(),
    }),
    attentionRows: z.number().int().positive(),
  }).optional(),
});

/** The WebGPU adapter a run used (`GPUAdapterInfo` fields plus the fallback flag). */
export const adapterSchema: z.ZodType<AdapterRecord> = adapterObject;
const _adapterMatches: SameType<z.output<typeof adapterObject>, AdapterRecord> = true;

const provenanceObject = z.looseObject({
  /** The resolved manifest, every default filled in. */
  manifest: z.record(z.string(), z.unknown()),
  /** sha256 of the manifest's canonical JSON. */
  manifestSha256: sha256,
  /** Git commit (null outside a repository) and whether the working tree had changes. */
  git: z.looseObject({ commit: z.string().min(1).nullable(), dirty: z.boolean().nullable() }),
  /** `Deno.version.deno`. */
  deno: z.string().min(1),
  /** sha256 of deno.lock, or null when the run had no lockfile. */
  lockfileSha256: sha256.nullable(),
  /** Operating system, for example `linux x86_64`. */
  os: z.string().min(1),
  cpuCount: z.number().int().positive(),
  /** The adapter, or null for runs that used no GPU stage. */
  adapter: adapterSchema.nullable(),
  rootSeed: z.number().int().nonnegative(),
});

/** Where a run's numbers came from: the resolved manifest, code, runtime and machine. */
export const provenanceSchema: z.ZodType<Provenance> = provenanceObject;
const _provenanceMatches: SameType<z.output<typeof provenanceObject>, Provenance> = true;

const setupObject = z.looseObject({
  /** What the setup really is (architecture, size, data). */
  description: z.string().min(1),
  parameterCount: z.number().int().positive(),
  /** sha256 of model.safetensors, or null while the setup has no trained checkpoint. */
  checkpointSha256: sha256.nullable(),
  /** Fraction correct in [0, 1] per query set. */
  accuracy: z.record(z.string(), z.number().min(0).max(1)),
  /** Per reasoning set: where the completions' chains break (since schema 1.2.0). */
  stepDiagnostics: z.record(
    z.string(),
    z.object({
      completions: z.number().int().nonnegative(),
      /** Distinct completion texts (since schema 1.3.0). */
      distinctCompletions: z.number().int().nonnegative().optional(),
      operandsCopied: z.number().int().nonnegative(),
      firstStepRight: z.number().int().nonnegative(),
      equations: z.number().int().nonnegative(),
      equationsRight: z.number().int().nonnegative(),
    }),
  ).optional(),
  /** Per query set: the applicability gates (since schema 1.4.0). */
  gates: z.record(
    z.string(),
    z.looseObject({
      completions: z.number().int().nonnegative(),
      correct: z.number().int().nonnegative(),
      accuracy: z.number().min(0).max(1).nullable(),
      accuracyGated: z.boolean(),
      scored: z.number().int().nonnegative(),
      distinct: z.number().int().nonnegative(),
      distinctShare: z.number().min(0).max(1).nullable(),
      applicable: z.boolean(),
      reason: z.string().min(1).nullable(),
    }),
  ).optional(),
  /** The factual queries the findings use against the paper's draw of 20 right and 20 wrong (1.4.0). */
  factualDraw: z.looseObject({
    pool: z.number().int().nonnegative(),
    right: z.number().int().nonnegative(),
    wrong: z.number().int().nonnegative(),
    paperDraw: z.boolean(),
    note: z.string().min(1),
  }).nullable().optional(),
});

/** One compared setup ("7B" or "35B" proxy): what it really is and how well it answers. */
export const setupSchema: z.ZodType<ReportSetup> = setupObject;
const _setupMatches: SameType<z.output<typeof setupObject>, ReportSetup> = true;

const measuredValueUnion = z.union([
  z.number(),
  z.null(),
  z.record(z.string(), z.union([z.number(), z.null(), z.boolean(), z.string()])).superRefine((m, ctx) => {
    for (const [key, value] of Object.entries(m)) {
      const ok = key === "applicable" || key === "available"
        ? typeof value === "boolean"
        : key === "reason" || key === "note"
        ? typeof value === "string" && value.length > 0
        : typeof value === "number" || value === null;
      if (!ok) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: key === "applicable" || key === "available"
            ? `${key} must be a boolean`
            : key === "reason" || key === "note"
            ? `${key} must be a non-empty string`
            : "expected a number or null",
        });
      }
    }
    if ((m.applicable === false || m.available === false) && m.reason === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["reason"],
        message: `a measurement that is not ${
          m.available === false ? "available" : "applicable"
        } must say why`,
      });
    }
  }),
]);

/**
 * A measured value for one setup: a number, several named numbers, or null when not measured. Since
 * schema 1.4.0 a finding's entry may also carry the applicability gates: `applicable` (false when the
 * setup fails a gate on a query set the finding uses), `reason` (why; required when not applicable) and
 * `note` (e.g. a factual draw other than the paper's). Since 1.7.0, `available: false` (written only
 * then) marks a finding that a corpus of one's own does not allow, `reason` saying why.
 */
export const measuredValueSchema: z.ZodType<MeasuredValue> = measuredValueUnion;
const _measuredValueMatches: SameType<z.output<typeof measuredValueUnion>, MeasuredValue> = true;

/**
 * The overall verdicts a finding can receive (`not-applicable` since schema 1.4.0: no setup passes the
 * gates; `not-available` since 1.7.0: the corpus of one's own does not allow it on any setup).
 */
export const FINDING_VERDICTS = [
  "reproduced",
  "partial",
  "not-reproduced",
  "inconclusive",
  "not-applicable",
  "not-available",
] as const;

/** The verdicts a finding can receive on one setup (`not-applicable` since schema 1.4.0, `not-available` 1.7.0). */
export const SETUP_VERDICTS = [
  "reproduced",
  "not-reproduced",
  "inconclusive",
  "not-applicable",
  "not-available",
] as const;

const findingObject = z.looseObject({
  /** Finding id, for example `F1`. */
  id: z.string().min(1),
  /** The paper's value or statement this is compared with. */
  paperFigure: z.union([z.string(), z.number(), z.record(z.string(), z.union([z.string(), z.number()]))]),
  /** Measured value per setup name. */
  measured: z.record(z.string(), measuredValueSchema),
  /** The test statistic behind the verdict, or null when none applies. */
  statistic: z.looseObject({
    name: z.string().min(1),
    value: z.number().nullable(),
    pValue: z.number().min(0).max(1).nullable().optional(),
  }).nullable(),
  /** Per setup name: its verdict; `not-applicable` requires `measured[setup].applicable === false`. */
  verdicts: z.record(z.string(), z.enum(SETUP_VERDICTS)).optional(),
  verdict: z.enum(FINDING_VERDICTS),
  /** The overall verdict naming the setups left out, e.g. "reproduced (35B only; 7B not applicable)" (1.4.0). */
  verdictText: z.string().min(1).optional(),
  /** The finding on each control's scores (1.5.0). */
  controls: z.record(
    z.string(),
    z.object({
      measured: z.record(z.string(), measuredValueSchema),
      verdicts: z.record(z.string(), z.enum(SETUP_VERDICTS)),
    }),
  ).optional(),
  /** Per setup: the controls that reproduce the finding as strongly as influence (1.5.0). */
  explainedBy: z.record(z.string(), z.array(z.string())).optional(),
}).superRefine((f, ctx) => {
  for (const [setup, v] of Object.entries(f.verdicts ?? {})) {
    const m = f.measured[setup];
    const unavailable = m !== null && typeof m === "object" && m.available === false;
    if ((v === "not-available") !== unavailable) {
      ctx.addIssue({
        code: "custom",
        path: ["verdicts", setup],
        message: v === "not-available"
          ? `verdict not-available needs measured.${setup}.available false`
          : `measured.${setup} is not available, so its verdict must be not-available, got ${v}`,
      });
      continue;
    }
    if (unavailable) continue;
    const inapplicable = m !== null && typeof m === "object" && m.applicable === false;
    if ((v === "not-applicable") !== inapplicable) {
      ctx.addIssue({
        code: "custom",
        path: ["verdicts", setup],
        message: v === "not-applicable"
          ? `verdict not-applicable needs measured.${setup}.applicable false`
          : `measured.${setup} is not applicable, so its verdict must be not-applicable, got ${v}`,
      });
    }
  }
});

/** One finding of docs/method.md (F1..F5 and any added later), measured on every setup. */
export const findingSchema: z.ZodType<Finding> = findingObject;
const _findingMatches: SameType<z.output<typeof findingObject>, Finding> = true;

const reportJsonObject = z.looseObject({
  schemaVersion: z.string().regex(SEMVER_PATTERN, "expected a semantic version such as 1.0.0"),
  experiment: z.string().min(1),
  runId: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  provenance: provenanceSchema,
  /** Seconds per pipeline stage. */
  timings: z.record(z.string(), z.number().nonnegative()),
  /** Per setup name. */
  setups: z.record(z.string(), setupSchema),
  /** Influence strategy and every numerical setting. */
  influence: z.looseObject({ strategy: z.string().min(1) }),
  findings: z.array(findingSchema),
  /** Self-checks (planted facts, cross-checks) and their outcomes. */
  validation: z.record(z.string(), z.unknown()),
});

/** The `report.json` payload. */
export const reportJsonSchema: z.ZodType<ReportJson> = reportJsonObject;
const _reportJsonMatches: SameType<z.output<typeof reportJsonObject>, ReportJson> = true;

/**
 * The `report.json` schema as a JSON Schema (draft 2020-12) document, for tools outside TypeScript.
 *
 * @returns A JSON Schema object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportJsonSchemaAsJsonSchema } from "./report_json_schema.ts";
 * const schema = reportJsonSchemaAsJsonSchema();
 * assert.equal(schema.type, "object");
 * ```
 */
export function reportJsonSchemaAsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(reportJsonSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
}
