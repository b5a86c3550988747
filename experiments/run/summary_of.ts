import { join } from "node:path";
import { z } from "zod";
import type { Artifact } from "./stage.ts";

/**
 * A finite number, or the `null` JSON writes for NaN and ±Infinity, read back as NaN (so that a summary
 * written as JSON and read again keeps its number type).
 */
export const jsonNumber: z.ZodType<number, number | null> = z.number().nullable().transform((v) => v ?? NaN);

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
  const parsed = schema.safeParse(artifact.meta.summary);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = ["summary", ...issue.path.map(String)].join(".");
  throw new Error(
    `${join(artifact.dir, "meta.json")}: ${field}: ${issue.message.replace(/^Invalid input: /, "")}`,
  );
}
