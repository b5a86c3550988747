/**
 * What changed between two runs' reports: settings, provenance, timings and every figure.
 *
 * @module
 */

import { DEFAULT_TOLERANCE, diffJson, type JsonChange, type NumericTolerance } from "./diff_json.ts";
import { readReportJson } from "./read_report_json.ts";
import { isCompatibleSchemaVersion } from "./schema_version.ts";

/** Identity of one compared report. */
export interface ReportIdentity {
  /** The folder (or file) path as given. */
  path: string;
  /** The run's id (null when report.json lacks it). */
  runId: string | null;
  /** When the run was written (null when report.json lacks it). */
  createdAt: string | null;
  /** report.json's schema version. */
  schemaVersion: string;
}

/** The structured difference of two reports; see {@linkcode formatReportDiff} for a text rendering. */
export interface ReportDiff {
  /** The old report. */
  before: ReportIdentity;
  /** The new report. */
  after: ReportIdentity;
  /** Whether both schema versions share a major version (fields mean the same). */
  schemaCompatible: boolean;
  /** Manifest settings, paths relative to the resolved manifest (`influence.damping`). */
  settings: JsonChange[];
  /** Other provenance (`provenance.git.commit`, `provenance.adapter.device`, …). */
  provenance: JsonChange[];
  /** Stage timings in seconds (`timings.score`). */
  timings: JsonChange[];
  /** Numbers that changed anywhere else in report.json. */
  figures: JsonChange[];
  /** Non-numeric values that changed elsewhere (verdicts, labels, type changes). */
  values: JsonChange[];
  /** Keys or array entries present only in the new report (outside the groups above). */
  added: JsonChange[];
  /** Keys or array entries present only in the old report (outside the groups above). */
  removed: JsonChange[];
  /** Numbers outside provenance and timings equal within tolerance. */
  unchangedFigures: number;
  /** The tolerance used. */
  tolerance: NumericTolerance;
}

const HEADER_KEYS = new Set(["schemaVersion", "runId", "createdAt", "provenance", "timings"]);

const asObject = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {};

function identity(path: string, json: Record<string, unknown>): ReportIdentity {
  const str = (v: unknown) => typeof v === "string" ? v : null;
  return {
    path,
    runId: str(json.runId),
    createdAt: str(json.createdAt),
    schemaVersion: String(json.schemaVersion),
  };
}

function without(json: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json).filter(([key]) => !keys.has(key)));
}

/**
 * Compares the `report.json` of two report folders. Numbers within `tolerance` count as unchanged;
 * reports of different major schema versions are still compared, with `schemaCompatible` false.
 *
 * @param dirA The old report folder (or its `report.json`).
 * @param dirB The new report folder (or its `report.json`).
 * @param options Numeric tolerance; defaults to {@linkcode DEFAULT_TOLERANCE}.
 * @returns The structured difference.
 * @throws {Deno.errors.NotFound} If a folder has no `report.json`; the message names the path.
 * @throws {SyntaxError} If a `report.json` is not valid JSON.
 * @throws {TypeError} If a `report.json` is not an object with a `schemaVersion`.
 *
 * @example
 * ```ts ignore
 * const diff = await diffReports("reports/pk/run-1", "reports/pk/run-2");
 * console.log(formatReportDiff(diff));
 * ```
 */
export async function diffReports(
  dirA: string,
  dirB: string,
  options: { tolerance?: NumericTolerance } = {},
): Promise<ReportDiff> {
  const [a, b] = await Promise.all([readReportJson(dirA), readReportJson(dirB)]);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const provA = asObject(a.provenance);
  const provB = asObject(b.provenance);
  const manifest = new Set(["manifest"]);
  const rest = diffJson(without(a, HEADER_KEYS), without(b, HEADER_KEYS), { tolerance });
  return {
    before: identity(dirA, a),
    after: identity(dirB, b),
    schemaCompatible: isCompatibleSchemaVersion(String(a.schemaVersion), String(b.schemaVersion)),
    settings: diffJson(provA.manifest ?? {}, provB.manifest ?? {}, { tolerance }).changes,
    provenance:
      diffJson(without(provA, manifest), without(provB, manifest), { prefix: "provenance", tolerance })
        .changes,
    timings: diffJson(a.timings ?? {}, b.timings ?? {}, { prefix: "timings", tolerance }).changes,
    figures: rest.changes.filter((c) => c.kind === "changed" && c.absolute !== undefined),
    values: rest.changes.filter((c) => c.kind === "changed" && c.absolute === undefined),
    added: rest.changes.filter((c) => c.kind === "added"),
    removed: rest.changes.filter((c) => c.kind === "removed"),
    unchangedFigures: rest.unchangedNumbers,
    tolerance,
  };
}
