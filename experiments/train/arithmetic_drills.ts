/**
 * Arithmetic drill sheets added to a proxy's training documents (`training.arithmeticDrills`), beside the
 * world: never scored, never exported as corpus documents. The sheets themselves are the world's
 * ({@linkcode drillSheet}); a world can also hold them as documents (`world.drillShare`).
 *
 * @module
 */
import { deriveRng } from "../../fixtures/world/rng.ts";
import { DRILL_KINDS, drillSheet } from "../../fixtures/world/drill_sheet.ts";

export { DRILL_KINDS };

/**
 * Drill sheets: a heading, then one `x op y = z` per line, as many as fit in `maxChars`.
 *
 * @param count Number of sheets.
 * @param seed Seed (the sheets are a pure function of `count`, `seed`, `maxChars`).
 * @param maxChars Longest sheet, in characters (at least 40).
 * @returns The sheets' texts.
 * @throws {RangeError} If `maxChars` is under 40 or `count` is not a non-negative integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { arithmeticDrills } from "./arithmetic_drills.ts";
 * const [sheet] = arithmeticDrills(1, 7, 120);
 * assert.ok(sheet.length <= 120);
 * for (const line of sheet.split("\n").slice(1)) {
 *   const [, x, op, y, z] = /^(-?\d+) ([-+*\/]) (-?\d+) = (-?\d+)$/.exec(line)!;
 *   const want = op === "+" ? +x + +y : op === "-" ? +x - +y : op === "*" ? +x * +y : +x / +y;
 *   assert.equal(+z, want);
 * }
 * ```
 */
export function arithmeticDrills(count: number, seed: number, maxChars: number): string[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Cannot write drill sheets: count must be a non-negative integer, got ${count}`);
  }
  if (!(maxChars >= 40)) {
    throw new RangeError(`Cannot write drill sheets: maxChars must be at least 40, got ${maxChars}`);
  }
  const rng = deriveRng(seed, "arithmetic-drills");
  return Array.from({ length: count }, () => drillSheet(rng, maxChars).text);
}

/**
 * How many drill sheets make up `share` of the training documents when added to `documents` others.
 *
 * @param documents Training documents without drills.
 * @param share Fraction of all training documents that are drills, in [0, 1).
 * @returns `round(documents · share / (1 − share))`.
 */
export function drillCount(documents: number, share: number): number {
  if (!(share >= 0 && share < 1)) {
    throw new RangeError(`Cannot add drills: share must be in [0, 1), got ${share}`);
  }
  return Math.round(documents * share / (1 - share));
}
