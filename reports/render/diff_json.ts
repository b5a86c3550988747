/**
 * Structural difference of two JSON values, with numeric tolerance.
 *
 * @module
 */

/** One difference between two JSON values. */
export interface JsonChange {
  /** Where: `a.b[2]`, `m["odd key"]`, or `findings[id=F1]` for arrays of objects with unique ids. */
  path: string;
  /** `added`: only in the new value; `removed`: only in the old; `changed`: in both, different. */
  kind: "added" | "removed" | "changed";
  /** The old value (absent for `added`). */
  before?: unknown;
  /** The new value (absent for `removed`). */
  after?: unknown;
  /** For two numbers: new − old. */
  absolute?: number;
  /** For two numbers: (new − old) / |old|, null when old is 0. */
  relative?: number | null;
}

/** Tolerance under which two numbers count as equal: |a − b| ≤ atol + rtol · max(|a|, |b|). */
export interface NumericTolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance, times the larger magnitude. */
  rtol: number;
}

/** Default tolerance: differences at the level of float64 round-off count as unchanged. */
export const DEFAULT_TOLERANCE: Readonly<NumericTolerance> = Object.freeze({ atol: 1e-12, rtol: 1e-9 });

/** Result of {@linkcode diffJson}. */
export interface JsonDiff {
  /** Differences in walk order (object keys sorted). */
  changes: JsonChange[];
  /** Numbers present in both values and equal within tolerance. */
  unchangedNumbers: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function keyPath(parent: string, key: string): string {
  if (/^[A-Za-z0-9_$][\w$-]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function idsOf(items: unknown[]): string[] | null {
  const ids = items.map((item) => isObject(item) && typeof item.id === "string" ? item.id : null);
  return ids.every((id) => id !== null) && new Set(ids).size === ids.length ? ids as string[] : null;
}

/**
 * Compares two JSON values leaf by leaf. Numbers within `tolerance` are equal; arrays whose
 * elements are all objects with distinct string `id`s are matched by id, other arrays by index;
 * a value whose type differs is reported as one change.
 *
 * @param before The old value.
 * @param after The new value.
 * @param options `prefix` for every path; `tolerance` for numbers (default {@linkcode DEFAULT_TOLERANCE}).
 * @returns The changes and the count of unchanged numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffJson } from "./diff_json.ts";
 * const { changes } = diffJson({ damping: 0.1, seed: 1 }, { damping: 0.01, seed: 1 });
 * assert.equal(changes.length, 1);
 * assert.equal(changes[0].path, "damping");
 * ```
 */
export function diffJson(
  before: unknown,
  after: unknown,
  options: { prefix?: string; tolerance?: NumericTolerance } = {},
): JsonDiff {
  const { atol, rtol } = options.tolerance ?? DEFAULT_TOLERANCE;
  const changes: JsonChange[] = [];
  let unchangedNumbers = 0;

  const walk = (a: unknown, b: unknown, path: string): void => {
    if (typeof a === "number" && typeof b === "number") {
      if (Object.is(a, b) || Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b))) {
        unchangedNumbers++;
      } else {
        changes.push({
          path,
          kind: "changed",
          before: a,
          after: b,
          absolute: b - a,
          relative: a === 0 ? null : (b - a) / Math.abs(a),
        });
      }
    } else if (isObject(a) && isObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const key of keys) {
        const child = keyPath(path, key);
        if (!(key in b)) changes.push({ path: child, kind: "removed", before: a[key] });
        else if (!(key in a)) changes.push({ path: child, kind: "added", after: b[key] });
        else walk(a[key], b[key], child);
      }
    } else if (Array.isArray(a) && Array.isArray(b)) {
      const idsA = idsOf(a);
      const idsB = idsOf(b);
      if (idsA && idsB) {
        const byIdB = new Map(idsB.map((id, i) => [id, b[i]]));
        const byIdA = new Map(idsA.map((id, i) => [id, a[i]]));
        const at = (id: string) => `${path}[id=${/^[\w.-]+$/.test(id) ? id : JSON.stringify(id)}]`;
        for (const [id, item] of byIdA) {
          if (byIdB.has(id)) walk(item, byIdB.get(id), at(id));
          else changes.push({ path: at(id), kind: "removed", before: item });
        }
        for (const [id, item] of byIdB) {
          if (!byIdA.has(id)) changes.push({ path: at(id), kind: "added", after: item });
        }
      } else {
        for (let i = 0; i < Math.max(a.length, b.length); i++) {
          if (i >= b.length) changes.push({ path: `${path}[${i}]`, kind: "removed", before: a[i] });
          else if (i >= a.length) changes.push({ path: `${path}[${i}]`, kind: "added", after: b[i] });
          else walk(a[i], b[i], `${path}[${i}]`);
        }
      }
    } else if (a !== b && JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({ path, kind: "changed", before: a, after: b });
    }
  };
  walk(before, after, options.prefix ?? "");
  return { changes, unchangedNumbers };
}
