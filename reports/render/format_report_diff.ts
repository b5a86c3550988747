/**
 * A report difference as text for a terminal.
 *
 * @module
 */

import type { JsonChange } from "./diff_json.ts";
import type { ReportDiff, ReportIdentity } from "./diff_reports.ts";

const MAX_VALUE_CHARS = 120;

function show(value: unknown): string {
  if (typeof value === "number") return String(value);
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}\u2026` : text;
}

function signed(value: number, digits = 6): string {
  const text = String(Number(value.toPrecision(digits)));
  return value > 0 ? `+${text}` : text;
}

/**
 * One change as a line: `path: old → new (+abs, +rel%)`, `path: added new`, `path: removed old`.
 *
 * @param change The change.
 * @returns The line, without indentation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatChange } from "./format_report_diff.ts";
 * assert.equal(
 *   formatChange({ path: "influence.damping", kind: "changed", before: 0.1, after: 0.01, absolute: -0.09, relative: -0.9 }),
 *   "influence.damping: 0.1 \u2192 0.01 (-0.09, -90%)",
 * );
 * ```
 */
export function formatChange(change: JsonChange): string {
  if (change.kind === "added") return `${change.path}: added ${show(change.after)}`;
  if (change.kind === "removed") return `${change.path}: removed (was ${show(change.before)})`;
  let line = `${change.path}: ${show(change.before)} \u2192 ${show(change.after)}`;
  if (change.absolute !== undefined) {
    const relative = change.relative == null ? "n/a" : `${signed(change.relative * 100, 3)}%`;
    line += ` (${signed(change.absolute)}, ${relative})`;
  }
  return line;
}

function side(label: string, id: ReportIdentity): string {
  return `${label} ${id.path}  run ${id.runId ?? "?"}, created ${
    id.createdAt ?? "?"
  }, schema ${id.schemaVersion}`;
}

/**
 * Renders a report difference as plain text: the two reports, the schema verdict, then one group
 * per kind of change (settings, provenance, timings, figures, other values, added, removed) and the
 * count of unchanged figures. Groups without changes are left out.
 *
 * @param diff From {@linkcode diffReports}.
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts ignore
 * console.log(formatReportDiff(await diffReports(a, b)));
 * ```
 */
export function formatReportDiff(diff: ReportDiff): string {
  const lines = [side("A:", diff.before), side("B:", diff.after)];
  const [va, vb] = [diff.before.schemaVersion, diff.after.schemaVersion];
  lines.push(
    diff.schemaCompatible
      ? `Schema: ${va === vb ? va : `${va} \u2192 ${vb}`} (compatible)`
      : `Schema: ${va} \u2192 ${vb}: different major versions; fields may differ in meaning, compare with care`,
  );
  const groups: [string, JsonChange[]][] = [
    ["Settings (resolved manifest)", diff.settings],
    ["Provenance", diff.provenance],
    ["Timings (seconds)", diff.timings],
    ["Figures", diff.figures],
    ["Other values", diff.values],
    ["Added", diff.added],
    ["Removed", diff.removed],
  ];
  for (const [title, changes] of groups) {
    if (changes.length === 0) continue;
    lines.push("", `${title}: ${changes.length}`, ...changes.map((c) => `  ${formatChange(c)}`));
  }
  const { atol, rtol } = diff.tolerance;
  lines.push("", `Unchanged figures: ${diff.unchangedFigures} (within atol ${atol}, rtol ${rtol})`);
  return `${lines.join("\n")}\n`;
}
