/**
 * Reading a report folder's `report.json` for comparison.
 *
 * @module
 */

import { join } from "node:path";

/**
 * Reads `report.json` from a report folder (or the file itself), checking only that it is a JSON
 * object with a string `schemaVersion`, so reports of other schema versions can still be compared.
 *
 * @param path A report folder or a `report.json` path.
 * @returns The parsed object.
 * @throws {Deno.errors.NotFound} If there is no `report.json` there.
 * @throws {SyntaxError} If the file is not valid JSON.
 * @throws {TypeError} If it is not an object with a string `schemaVersion`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readReportJson } from "./read_report_json.ts";
 * await assert.rejects(readReportJson("/nonexistent-report"), Deno.errors.NotFound);
 * ```
 */
export async function readReportJson(path: string): Promise<Record<string, unknown>> {
  let file = path;
  try {
    if ((await Deno.stat(path)).isDirectory) file = join(path, "report.json");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read report "${path}": no such folder`);
    }
    throw error;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read report "${path}": no report.json in that folder`);
    }
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot read report "${file}": invalid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Cannot read report "${file}": expected a JSON object`);
  }
  if (typeof (value as Record<string, unknown>).schemaVersion !== "string") {
    throw new TypeError(`Cannot read report "${file}": schemaVersion is missing`);
  }
  return value as Record<string, unknown>;
}
