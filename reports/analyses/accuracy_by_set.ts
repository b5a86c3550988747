/**
 * Accuracy per query set.
 *
 * @module
 */

/** Accuracy of one query set. */
export interface SetAccuracy {
  /** Correct completions. */
  correct: number;
  /** Graded completions. */
  total: number;
  /** `correct / total`. */
  accuracy: number;
}

/**
 * Tallies graded completions by query set.
 *
 * @param results One entry per graded query: its set and whether it was answered correctly.
 * @returns Accuracy per set, sets in order of first appearance (sets without results are absent).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyBySet } from "./accuracy_by_set.ts";
 * const acc = accuracyBySet([{ set: "slopes", correct: true }, { set: "slopes", correct: false }]);
 * assert.deepEqual(acc, { slopes: { correct: 1, total: 2, accuracy: 0.5 } });
 * ```
 */
export function accuracyBySet(
  results: readonly { set: string; correct: boolean }[],
): Record<string, SetAccuracy> {
  const out: Record<string, SetAccuracy> = {};
  for (const { set, correct } of results) {
    const entry = out[set] ??= { correct: 0, total: 0, accuracy: 0 };
    entry.total++;
    if (correct) entry.correct++;
    entry.accuracy = entry.correct / entry.total;
  }
  return out;
}
