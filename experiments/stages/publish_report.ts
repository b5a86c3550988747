import { join } from "node:path";
import { stableStringify, writeTextFileAtomic } from "../../reports/render/mod.ts";
import type { Artifact } from "../run/stage.ts";
import { reportFolderIn, reportSummarySchema } from "./report_stage.ts";
import { summaryOf } from "../run/summary_of.ts";

/**
 * Copies a report artifact's folder to `<root>/<experiment>/<runId>/` (unless it is already there) and
 * points `<root>/<experiment>/latest.json` at it (the report of the latest run, cached or not). The copy goes to a temporary folder renamed into place.
 *
 * @param report The report stage's artifact.
 * @param root Reports root (`reports` by default).
 * @returns The published folder.
 */
export async function publishReport(report: Artifact, root: string): Promise<string> {
  const { runId } = summaryOf(report, reportSummarySchema);
  const experiment = report.meta.settings as { manifest: { experiment: string } };
  const name = experiment.manifest.experiment;
  const src = reportFolderIn(report.dir, name, runId);
  const dest = join(root, name, runId);
  const exists = await Deno.stat(dest).then(() => true, () => false);
  if (!exists) {
    const tmp = `${dest}.tmp-${crypto.randomUUID()}`;
    try {
      await copyTree(src, tmp);
      await Deno.rename(tmp, dest);
    } catch (error) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw error;
    }
  }
  const { createdAt } = JSON.parse(await Deno.readTextFile(join(dest, "report.json")));
  // The report of this run is the latest, even when it was made earlier and found in the cache.
  await writeTextFileAtomic(
    join(root, name, "latest.json"),
    stableStringify({ runId, createdAt, path: runId }),
  );
  return dest;
}

async function copyTree(src: string, dest: string): Promise<void> {
  await Deno.mkdir(dest, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isDirectory) await copyTree(join(src, e.name), join(dest, e.name));
    else await Deno.copyFile(join(src, e.name), join(dest, e.name));
  }
}
