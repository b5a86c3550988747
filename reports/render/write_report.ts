/**
 * Writing a report folder: all files or none.
 *
 * @module
 */

import { join } from "node:path";
import { randomSuffix, writeTextFileAtomic } from "./atomic_write.ts";
import { DEFAULT_RENDER_LIMITS, type RenderLimits } from "./cap_document.ts";
import { collectCharts } from "./collect_charts.ts";
import type { ReportDocument } from "./document.ts";
import { renderChartSvg } from "./render_chart_svg.ts";
import { renderHtml } from "./render_html.ts";
import { renderMarkdown } from "./render_markdown.ts";
import { reportJsonSchema } from "./report_json_schema.ts";
import { stableStringify } from "./stable_json.ts";
import { updateLatest } from "./update_latest.ts";
import { validateDocument } from "./validate_document.ts";

/** Options of {@linkcode writeReport}. */
export interface WriteReportOptions {
  /** Size limits for `report.md` and `report.html`; defaults to {@linkcode DEFAULT_RENDER_LIMITS}. */
  limits?: RenderLimits;
  /** Replace an existing folder for the same run id; defaults to false (an existing folder is an error). */
  overwrite?: boolean;
  /** Receives chart compilation warnings; defaults to `console.warn`. */
  onChartWarning?: (chartId: string, message: string) => void;
  /** Writes one file inside the temporary folder; defaults to an atomic, flushed write. */
  writeFile?: (path: string, text: string) => Promise<void>;
}

/** What {@linkcode writeReport} wrote. */
export interface WrittenReport {
  /** The report folder, `<root>/<experiment>/<runId>`. */
  dir: string;
  /** Files in it, relative to `dir`, in the order written. */
  files: string[];
  /** Whether `latest.json` now names this run (false if it names a run created later). */
  latestUpdated: boolean;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkSegment(kind: string, value: string): void {
  if (!SEGMENT.test(value) || value.includes(".tmp-") || value.includes(".old-") || value === "latest.json") {
    throw new TypeError(
      `Cannot write report: ${kind} ${
        JSON.stringify(value)
      } must be letters, digits, ".", "-" or "_", starting with a letter or digit`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function removeStaleTemps(experimentDir: string, runId: string): Promise<void> {
  for await (const entry of Deno.readDir(experimentDir)) {
    if (entry.name.startsWith(`${runId}.tmp-`) || entry.name.startsWith(`${runId}.old-`)) {
      await Deno.remove(join(experimentDir, entry.name), { recursive: true });
    }
  }
}

async function renderFiles(doc: ReportDocument, options: WriteReportOptions): Promise<Map<string, string>> {
  const files = new Map<string, string>([["report.json", stableStringify(doc.json)]]);
  const svgs = new Map<string, string>();
  for (const chart of collectCharts(doc)) {
    const onWarning = options.onChartWarning
      ? (message: string) => options.onChartWarning!(chart.id, message)
      : (message: string) => console.warn(`Chart "${chart.id}": ${message}`);
    const svg = await renderChartSvg(chart.spec, {
      idPrefix: `${chart.id}-`,
      label: `chart "${chart.id}"`,
      onWarning,
    });
    svgs.set(chart.id, svg);
    files.set(`charts/${chart.id}.svg`, svg);
    files.set(`charts/${chart.id}.vl.json`, stableStringify(chart.spec));
  }
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  files.set("report.md", renderMarkdown(doc, { limits }));
  files.set("report.html", renderHtml(doc, svgs, { limits }));
  return files;
}

/**
 * Writes a report to `<root>/<experiment>/<runId>/` (`report.json`, `report.md`, `report.html`,
 * `charts/<id>.svg`, `charts/<id>.vl.json`), then points `<root>/<experiment>/latest.json` at it.
 *
 * Everything is rendered in memory first, then written into `<runId>.tmp-<random>` beside the
 * final folder, which is renamed into place at the end: the report folder is complete or absent.
 * On failure the temporary folder is removed and `latest.json` is untouched. Leftover temporary
 * folders of the same run id (from a killed process) are removed first, so the same run id must not
 * be written by two processes at once.
 *
 * @param root The reports root, for example `reports`.
 * @param experiment The experiment name; must equal `doc.json.experiment`.
 * @param runId The run id; must equal `doc.json.runId`.
 * @param doc The document; `doc.json` must satisfy {@linkcode reportJsonSchema}.
 * @param options Limits, overwrite, chart warnings and the file writer.
 * @returns The folder, the files written and whether `latest.json` moved.
 * @throws {TypeError} If names are unsafe or mismatched, `doc.json` is invalid, the document is
 *   malformed or a chart cannot be rendered.
 * @throws {Deno.errors.AlreadyExists} If the report folder exists and `overwrite` is not set.
 *
 * @example
 * ```ts ignore
 * const { dir } = await writeReport("reports", "procedural-knowledge", runId, doc);
 * ```
 */
export async function writeReport(
  root: string,
  experiment: string,
  runId: string,
  doc: ReportDocument,
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  checkSegment("experiment", experiment);
  checkSegment("run id", runId);
  const experimentDir = join(root, experiment);
  const dir = join(experimentDir, runId);
  const parsed = reportJsonSchema.safeParse(doc.json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) =>
      `${i.path.join(".") || "(root)"}: ${i.message}`
    );
    throw new TypeError(`Cannot write report "${dir}": report.json is invalid (${issues.join("; ")})`);
  }
  if (doc.json.experiment !== experiment || doc.json.runId !== runId) {
    throw new TypeError(
      `Cannot write report "${dir}": report.json names experiment "${doc.json.experiment}" and run "${doc.json.runId}"`,
    );
  }
  validateDocument(doc);
  if (!options.overwrite && await exists(dir)) {
    throw new Deno.errors.AlreadyExists(
      `Cannot write report "${dir}": the folder exists (pass overwrite to replace it)`,
    );
  }
  const files = await renderFiles(doc, options);

  await Deno.mkdir(experimentDir, { recursive: true });
  await removeStaleTemps(experimentDir, runId);
  const temp = join(experimentDir, `${runId}.tmp-${randomSuffix()}`);
  const write = options.writeFile ?? writeTextFileAtomic;
  try {
    await Deno.mkdir(join(temp, "charts"), { recursive: true });
    for (const [name, text] of files) await write(join(temp, name), text);
    await moveIntoPlace(temp, dir, options.overwrite ?? false);
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw error;
  }
  const latestUpdated = await updateLatest(experimentDir, runId, doc.json.createdAt);
  return { dir, files: [...files.keys()], latestUpdated };
}

async function moveIntoPlace(temp: string, dir: string, overwrite: boolean): Promise<void> {
  if (!(await exists(dir))) return await Deno.rename(temp, dir);
  if (!overwrite) {
    throw new Deno.errors.AlreadyExists(`Cannot write report "${dir}": the folder appeared while writing`);
  }
  const old = `${dir}.old-${randomSuffix()}`;
  await Deno.rename(dir, old);
  try {
    await Deno.rename(temp, dir);
  } catch (error) {
    await Deno.rename(old, dir);
    throw error;
  }
  await Deno.remove(old, { recursive: true });
}
