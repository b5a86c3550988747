import { join } from "node:path";
import type { z } from "zod";
import { checkedFields, jsonNumber } from "../../reports/compose/checked_fields.ts";
import type { Artifact } from "./stage.ts";

/** A number of a summary: finite, or the `null` JSON writes for NaN and ±Infinity, read back as NaN. */
export { jsonNumber };

/**
 * An input artifact's summary (`meta.json` `summary`), checked against the stage's schema.
 *
 * @param artifact The artifact.
 * @param schema The summary's schema (loose objects: fields added later pass through).
 * @returns The typed summary.
 * @throws {Error} One line naming the meta.json, the field, what was expected and what was found.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { summaryOf } from "./summary_of.ts";
 * const artifact = { dir: "/c/x", meta: { summary: { runId: 3 } } } as never;
 * assert.throws(() => summaryOf(artifact, z.object({ runId: z.string() })), /meta.json: summary.runId: expected string/);
 * ```
 */
export function summaryOf<T>(artifact: Artifact, schema: z.ZodType<T, unknown>): T {
  return checkedFields(schema, artifact.meta.summary, join(artifact.dir, "meta.json"), ["summary"]);
}
