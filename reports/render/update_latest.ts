/**
 * The `latest.json` pointer of an experiment's report folder.
 *
 * @module
 */

import { join } from "node:path";
import { writeTextFileAtomic } from "./atomic_write.ts";
import { stableStringify } from "./stable_json.ts";

/** Contents of `<root>/<experiment>/latest.json`. */
export interface LatestReport {
  /** The newest run's id. */
  runId: string;
  /** Its `createdAt` (ISO 8601). */
  createdAt: string;
  /** Its report folder, relative to the folder holding `latest.json` (equal to `runId`). */
  path: string;
}

/**
 * Reads an experiment's `latest.json`.
 *
 * @param experimentDir The folder holding `latest.json`.
 * @returns The pointer, or null if the file is missing or unreadable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLatest } from "./update_latest.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readLatest(dir), null);
 * await Deno.remove(dir);
 * ```
 */
export async function readLatest(experimentDir: string): Promise<LatestReport | null> {
  try {
    const value = JSON.parse(await Deno.readTextFile(join(experimentDir, "latest.json")));
    const ok = typeof value?.runId === "string" && typeof value.createdAt === "string" &&
      typeof value.path === "string";
    return ok ? value : null;
  } catch {
    return null;
  }
}

/**
 * Points `latest.json` at a run, atomically, unless it already names a run created later (so
 * re-rendering an old run never moves the pointer backwards).
 *
 * @param experimentDir The folder holding `latest.json`; must exist.
 * @param runId The run's id (its folder name).
 * @param createdAt The run's creation time, ISO 8601.
 * @returns Whether `latest.json` now names this run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLatest, updateLatest } from "./update_latest.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await updateLatest(dir, "b", "2025-01-02T00:00:00Z"), true);
 * assert.equal(await updateLatest(dir, "a", "2025-01-01T00:00:00Z"), false);
 * assert.equal((await readLatest(dir))?.runId, "b");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function updateLatest(
  experimentDir: string,
  runId: string,
  createdAt: string,
): Promise<boolean> {
  const current = await readLatest(experimentDir);
  if (current !== null && current.runId !== runId && Date.parse(current.createdAt) > Date.parse(createdAt)) {
    return false;
  }
  const entry: LatestReport = { runId, createdAt, path: runId };
  await writeTextFileAtomic(join(experimentDir, "latest.json"), stableStringify(entry));
  return true;
}
