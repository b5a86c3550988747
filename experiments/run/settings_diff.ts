import { canonicalJson } from "../../engine/io/canonical_json.ts";

/**
 * Lists the leaf paths whose values differ between two JSON values, as `path (old → new)` strings.
 * Arrays are compared whole.
 *
 * @param before The earlier value.
 * @param after The later value.
 * @param prefix Path prefix for the output.
 * @returns One string per changed leaf, in sorted path order.
 * @example
 * ```ts
 * import { settingsDiff } from "./settings_diff.ts";
 * console.assert(settingsDiff({ a: { b: 1 } }, { a: { b: 2 } })[0] === "a.b (1 → 2)");
 * ```
 */
export function settingsDiff(before: unknown, after: unknown, prefix = ""): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => settingsDiff(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  const a = before === undefined ? "absent" : canonicalJson(before);
  const b = after === undefined ? "absent" : canonicalJson(after);
  if (a === b) return [];
  const short = (s: string) => (s.length > 30 ? s.slice(0, 27) + "..." : s);
  return [`${prefix || "(all)"} (${short(a)} → ${short(b)})`];
}
