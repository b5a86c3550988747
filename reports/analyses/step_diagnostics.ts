/**
 * Where a reasoning completion breaks: whether the model copied the query's operands into its first
 * step, and whether each equation it wrote is right for the numbers it wrote. A final-answer accuracy
 * of zero says nothing about which of these fails; this analysis does.
 *
 * @module
 */

/** One binary equation `x op y = z` as written in a text. */
export interface Equation {
  /** Left operand x. */
  left: number;
  /** The operator. */
  op: "+" | "-" | "*" | "/";
  /** Right operand y. */
  right: number;
  /** The written result z. */
  result: number;
}

/**
 * Binary integer equations `x op y = z`, with spaces around the operator and `=` as the corpus writes
 * them. A number glued to a letter, digit or underscore (`x2`, `y1`) is a name, not an operand, and a
 * minus sign attached to the digits is a sign. Chains share numbers: `a - b = c / d = e` reads both
 * links. A bracketed left side is not a binary equation: `(a - b) * c = s * c = r` reads only `s * c = r`.
 *
 * @param text A completion or reference solution.
 * @returns The equations in order of appearance.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { equations } from "./step_diagnostics.ts";
 * assert.deepEqual(equations("y2 - y1 = 10 - 6 = 4\nSlope = 4 / -2 = -2"), [
 *   { left: 10, op: "-", right: 6, result: 4 },
 *   { left: 4, op: "/", right: -2, result: -2 },
 * ]);
 * ```
 */
export function equations(text: string): Equation[] {
  const pattern = /(?<![A-Za-z0-9_)\]])(-?\d+) ([-+*/]) (-?\d+) = (-?\d+)(?![A-Za-z0-9_]|\.\d)/g;
  const out: Equation[] = [];
  // Overlapping chains (`10 - 6 = 4 / 2 = 2`) share numbers: restart each search one number later.
  for (let from = 0;;) {
    pattern.lastIndex = from;
    const m = pattern.exec(text);
    if (m === null) return out;
    out.push({ left: Number(m[1]), op: m[2] as Equation["op"], right: Number(m[3]), result: Number(m[4]) });
    from = m.index + m[0].lastIndexOf(m[4]);
  }
}

/**
 * An operation's value (`left / right` unrounded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { operate } from "./step_diagnostics.ts";
 * assert.equal(operate(12, "/", -2), -6);
 * ```
 */
export function operate(left: number, op: Equation["op"], right: number): number {
  return op === "+" ? left + right : op === "-" ? left - right : op === "*" ? left * right : left / right;
}

/** Whether an equation's result is its operation applied to its operands (division must be exact). */
export function equationHolds(e: Equation): boolean {
  if (e.op === "/") return e.right !== 0 && e.left === e.result * e.right;
  return operate(e.left, e.op, e.right) === e.result;
}

/** Step diagnostics of one query set. */
export interface SetStepDiagnostics {
  /** Completions of the set. */
  completions: number;
  /**
   * Distinct completion texts among them. Few means the model writes one chain whatever the query: its
   * queries' gradients, and so their influence rankings, can then correlate for that reason alone.
   */
  distinctCompletions: number;
  /** Completions whose first equation has the reference's first operands and operator. */
  operandsCopied: number;
  /** Completions whose first equation's result equals the reference's first result. */
  firstStepRight: number;
  /** Equations written across the set's completions. */
  equations: number;
  /** Of those, the ones right for the numbers the model itself wrote. */
  equationsRight: number;
}

/**
 * Tallies, per query set, how far the models' chains of reasoning hold against the reference
 * solutions. Queries whose reference has no equation (factual sets) are skipped.
 *
 * @param results One entry per completion: its set, the model's completion and the reference
 * solution the world wrote for the query.
 * @returns Diagnostics per set, in order of first appearance.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepDiagnostics } from "./step_diagnostics.ts";
 * const d = stepDiagnostics([{
 *   set: "linear",
 *   completion: "Subtract 5 from both sides: 1x = 17 - 5 = 12.\nDivide both sides by 1: x = 12 / 1 = 12.",
 *   reference: "Subtract 5 from both sides: 1x = 17 - 5 = 12.\nDivide both sides by 1: x = 12 / 1 = 12.",
 * }]);
 * assert.deepEqual(d.linear, {
 *   completions: 1,
 *   distinctCompletions: 1,
 *   operandsCopied: 1,
 *   firstStepRight: 1,
 *   equations: 2,
 *   equationsRight: 2,
 * });
 * ```
 */
export function stepDiagnostics(
  results: readonly { set: string; completion: string; reference: string }[],
): Record<string, SetStepDiagnostics> {
  const out: Record<string, SetStepDiagnostics> = {};
  const texts = new Map<string, Set<string>>();
  for (const { set, completion, reference } of results) {
    const want = equations(reference)[0];
    if (want === undefined) continue;
    const got = equations(completion);
    const entry = out[set] ??= {
      completions: 0,
      distinctCompletions: 0,
      operandsCopied: 0,
      firstStepRight: 0,
      equations: 0,
      equationsRight: 0,
    };
    entry.completions++;
    const seen = texts.get(set) ?? texts.set(set, new Set()).get(set)!;
    seen.add(completion);
    entry.distinctCompletions = seen.size;
    const first = got[0];
    if (first !== undefined) {
      if (first.left === want.left && first.op === want.op && first.right === want.right) {
        entry.operandsCopied++;
      }
      if (first.result === want.result) entry.firstStepRight++;
    }
    entry.equations += got.length;
    entry.equationsRight += got.filter(equationHolds).length;
  }
  return out;
}
