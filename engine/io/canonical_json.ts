/**
 * JSON with object keys sorted at every depth and no whitespace, so equal values serialise to equal
 * strings. Keys whose value is `undefined` are dropped, as `JSON.stringify` does.
 *
 * @param value A JSON-compatible value.
 * @returns The canonical serialisation.
 * @throws {TypeError} If the value holds a non-finite number.
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * if (canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) !== '{"a":[2,{"c":4,"d":3}],"b":1}') throw new Error();
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new TypeError(`Cannot serialise ${value} as canonical JSON: not a finite number`);
  }
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
