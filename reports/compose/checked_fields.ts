/**
 * JSON fields checked against a zod schema, with a one-line error naming the file and the field.
 *
 * @module
 */
import { z } from "zod";

/**
 * A number as report.json writes it: a finite number, or null for none; a NaN or ±Infinity about to be
 * written becomes null (JSON has no such numbers).
 */
export const finiteOrNull: z.ZodType<number | null, unknown> = z.preprocess(
  (v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
  z.number().nullable(),
);

/**
 * A number as JSON holds it: a finite number, or the `null` JSON writes for NaN and ±Infinity, read back as
 * NaN (so that a value written as JSON and read again keeps its number type).
 */
export const jsonNumber: z.ZodType<number, unknown> = finiteOrNull.transform((v) => v ?? NaN);

/**
 * A value checked against a schema.
 *
 * @param schema The schema.
 * @param value The value (parsed JSON, or a value about to be written as JSON).
 * @param file The file the value is read from or written to, for the error.
 * @param field Where the value sits in that file (e.g. `["validation", "lds", "7B"]`; empty: the whole file).
 * @returns The parsed value.
 * @throws {Error} One line naming the file, the field of the first problem, what was expected and what was
 *   found.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { checkedFields } from "./checked_fields.ts";
 * const schema = z.strictObject({ k: z.number() });
 * assert.deepEqual(checkedFields(schema, { k: 1 }, "x.json"), { k: 1 });
 * assert.throws(() => checkedFields(schema, { k: "1" }, "x.json", ["a"]), /^Error: x.json: a.k: expected number, received string$/);
 * ```
 */
export function checkedFields<T>(
  schema: z.ZodType<T, unknown>,
  value: unknown,
  file: string,
  field: readonly string[] = [],
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [...field, ...issue.path.map(String)].join(".") || "(root)";
  throw new Error(`${file}: ${path}: ${issue.message.replace(/^Invalid input: /, "")}`);
}
