/**
 * Deterministic JSON text: sorted keys, no silent loss of non-finite numbers.
 *
 * @module
 */

function sortKeys(value: unknown, path: string): unknown {
  if (
    value !== null && typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    return sortKeys((value as { toJSON: () => unknown }).toJSON(), path);
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new TypeError(`Cannot write ${path} as JSON: ${value} is not a finite number (use null)`);
  }
  if (typeof value === "bigint") throw new TypeError(`Cannot write ${path} as JSON: it is a bigint`);
  if (Array.isArray(value)) return value.map((item, i) => sortKeys(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key], `${path}.${key}`);
  }
  return sorted;
}

/**
 * Serialises a value as pretty-printed JSON with object keys sorted at every level (arrays keep
 * their order), so equal values always give identical text and diffs stay small.
 *
 * @param value A JSON-compatible value.
 * @param indent Spaces per level; defaults to 2.
 * @returns The JSON text, ending in a newline.
 * @throws {TypeError} If a number is NaN or infinite, or a bigint appears; the message names its path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stableStringify } from "./stable_json.ts";
 * assert.equal(stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }, 0), '{"a":[2,{"c":4,"d":3}],"b":1}\n');
 * ```
 */
export function stableStringify(value: unknown, indent = 2): string {
  return `${JSON.stringify(sortKeys(value, "$"), null, indent)}\n`;
}
