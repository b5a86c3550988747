/**
 * Canonical JSON: object keys sorted by code point, no whitespace, `undefined` members dropped.
 * Two values that are equal as JSON data always serialise to the same string, so hashes of
 * canonical JSON identify settings regardless of key order in the manifest.
 *
 * @param value A JSON-compatible value (no functions, no cycles, finite numbers).
 * @returns The canonical serialisation.
 * @throws {TypeError} If the value holds a non-finite number, a bigint, a function or a cycle.
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * console.assert(canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, new Set(), "$");
}

function serialise(value: unknown, seen: Set<object>, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`Cannot serialise ${path}: ${value} is not finite`);
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw new TypeError(`Cannot serialise ${path}: values of type ${typeof value} are not JSON`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError(`Cannot serialise ${path}: the value contains a cycle`);
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = "[" + obj.map((v, i) => serialise(v ?? null, seen, `${path}[${i}]`)).join(",") + "]";
  } else if (ArrayBuffer.isView(obj)) {
    out = "[" + Array.from(obj as unknown as ArrayLike<number>, (v) => serialise(v, seen, path)).join(",") +
      "]";
  } else {
    const entries = Object.entries(obj).filter(([, v]) => v !== undefined).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    out = "{" + entries.map(([k, v]) =>
      JSON.stringify(k) + ":" + serialise(v, seen, `${path}.${k}`)
    ).join(",") +
      "}";
  }
  seen.delete(obj);
  return out;
}
