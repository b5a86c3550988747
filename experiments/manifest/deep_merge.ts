/**
 * Merges `over` onto `base`: plain objects merge key by key, recursively; arrays, scalars and null in
 * `over` replace. Neither input is modified.
 *
 * @param base The base value (e.g. the manifest's `setupDefaults`).
 * @param over The overriding value (e.g. one entry of `setups`).
 * @returns A new merged value.
 * @example
 * ```ts
 * import { deepMerge } from "./deep_merge.ts";
 * const m = deepMerge({ a: { x: 1, y: 2 }, l: [1] }, { a: { y: 3 }, l: [2] });
 * console.assert(JSON.stringify(m) === '{"a":{"x":1,"y":3},"l":[2]}');
 * ```
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : structuredClone(v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
