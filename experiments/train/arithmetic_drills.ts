/**
 * Arithmetic drill sheets: short documents of single operations (`17 - 8 = 9`) over the operand
 * ranges the world's reasoning procedures need. Real pretraining data is full of such facts; the
 * synthetic world states each only inside a worked example, too rarely for a small proxy to learn the
 * operations. Drills are training data only: never scored, never exported as corpus documents.
 *
 * @module
 */
import { deriveRng, type Rng } from "../../fixtures/world/rng.ts";
import { type Equation, operate } from "../../reports/analyses/step_diagnostics.ts";

/** One kind of drill line: the operation and operand ranges of a procedure step. */
interface DrillKind {
  /** What the step is, for documentation and tests. */
  step: string;
  draw(rng: Rng): Omit<Equation, "result">;
}

/** Drill kinds, drawn uniformly per line; ranges follow `fixtures/world/procedures/`. */
export const DRILL_KINDS: readonly DrillKind[] = [
  // arithmetic: a ± b with a, b in [0, 20].
  { step: "arithmetic inner sum", draw: (r) => ({ left: r.int(0, 20), op: "+", right: r.int(0, 20) }) },
  {
    step: "arithmetic inner difference",
    draw: (r) => ({ left: r.int(0, 20), op: "-", right: r.int(0, 20) }),
  },
  // arithmetic: (a ± b) * c with the inner result in [1, 40] and c in [1, 20].
  { step: "arithmetic product", draw: (r) => ({ left: r.int(1, 40), op: "*", right: r.int(1, 20) }) },
  // slopes: y2 - y1 and x2 - x1 with coordinates in [0, 30].
  { step: "slope difference", draw: (r) => ({ left: r.int(0, 30), op: "-", right: r.int(0, 30) }) },
  // slopes: dy / dx with dx in [-6, 6] \ {0} and an integer slope in [-30, 30], |dy| <= 30.
  {
    step: "slope quotient",
    draw: (r) => {
      const dx = r.pick([-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6]);
      const limit = Math.floor(30 / Math.abs(dx));
      return { left: dx * r.int(-limit, limit), op: "/", right: dx };
    },
  },
  // linear: c - b with b in [1, 40] and c - b = a·x in [1, 100 - b].
  {
    step: "linear difference",
    draw: (r) => {
      const b = r.int(1, 40);
      return { left: b + r.int(1, 100 - b), op: "-", right: b };
    },
  },
  // linear: a·x / a with a in [1, 9], x in [1, 12], a·x <= 100.
  {
    step: "linear quotient",
    draw: (r) => {
      const a = r.int(1, 9);
      return { left: a * r.int(1, Math.min(12, Math.floor(100 / a))), op: "/", right: a };
    },
  },
];

const HEADINGS = ["Practice sheet", "Arithmetic drill", "Warm-up exercises", "Quick sums"] as const;

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
  const sheets: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = rng.pick(HEADINGS);
    for (;;) {
      const { left, op, right } = rng.pick(DRILL_KINDS).draw(rng);
      const line = `\n${left} ${op} ${right} = ${operate(left, op, right) + 0}`; // + 0: no "-0"
      if (text.length + line.length > maxChars) break;
      text += line;
    }
    sheets.push(text);
  }
  return sheets;
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
