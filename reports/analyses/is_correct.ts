/**
 * Whether a completion answers a query correctly.
 *
 * @module
 */
import type { Query } from "../../fixtures/world/types.ts";
import { finalNumber } from "./final_number.ts";

/**
 * Grades a completion against a query's gold answer:
 * - numeric queries (`goldNumber` not null): the completion's {@linkcode finalNumber} equals it;
 * - other queries: the gold text appears in the completion as whole words, ignoring case and
 *   treating any run of whitespace as one space (`"Zonum Sea"` matches `"into the zonum  sea."` but
 *   not `"Zonum Seas"`).
 *
 * @param completion The model's completion (what follows the prompt, cut at EOS).
 * @param query The query's gold answer.
 * @returns Whether the completion is correct.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCorrect } from "./is_correct.ts";
 * assert.equal(isCorrect("\nFirst, 3 + 20 = 23.\nThe answer is 115.", { gold: "115", goldNumber: 115 }), true);
 * assert.equal(isCorrect("\nIt flows into the zonum sea.", { gold: "Zonum Sea", goldNumber: null }), true);
 * ```
 */
export function isCorrect(completion: string, query: Pick<Query, "gold" | "goldNumber">): boolean {
  if (query.goldNumber !== null) return finalNumber(completion) === query.goldNumber;
  const gold = normalise(query.gold);
  if (gold === "") return false;
  const escaped = gold.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, "iu").test(normalise(completion));
}

function normalise(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
