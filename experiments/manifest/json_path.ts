/** A path into a JSON value: object keys and array indices. */
export type JsonPath = readonly (string | number)[];

/**
 * Formats a JSON path the way error messages show it: `setups.7B.model.layers`, `analyses.topK[2]`.
 * Keys that are not plain identifiers are quoted: `setups["my setup"]`.
 *
 * @param path The path segments.
 * @returns The dotted path, or `(root)` for the empty path.
 * @example
 * ```ts
 * import { formatPath } from "./json_path.ts";
 * console.assert(formatPath(["setups", "7B", "model"]) === "setups.7B.model");
 * ```
 */
export function formatPath(path: JsonPath): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z0-9_$][A-Za-z0-9_$.-]*$/.test(seg) && !seg.includes(".")) {
      out += out === "" ? seg : `.${seg}`;
    } else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Reads the value at a path, or `undefined` when any segment is missing.
 *
 * @param root The JSON value.
 * @param path The path segments.
 * @returns The value found, or `undefined`.
 */
export function getAtPath(root: unknown, path: JsonPath): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/**
 * Describes a found value for an error message: JSON, shortened, or `nothing` when absent.
 *
 * @param value The value found in the manifest.
 * @returns A short description such as `-1`, `"abc"`, `an object`, `nothing`.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) {
    const text = JSON.stringify(value);
    return text.length <= 40 ? text : `an array of ${value.length} items`;
  }
  if (value !== null && typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length <= 40 ? text : text.slice(0, 37) + "...";
}
