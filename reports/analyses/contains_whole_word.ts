/**
 * Whole-word search in document text.
 *
 * @module
 */

/**
 * Whether `text` holds `word` (case-sensitive) not glued to a letter, digit or underscore on either
 * side, so that `Marsk` is not found in `Marskland` and `1823` not in `18234` or `x1823`. A word that
 * starts with a digit must also not follow a minus sign that reads as the number's sign, as
 * `parseNumbers` reads it: `-1823` and `(-1823)` are other numbers, while `1800-1823` holds 1823.
 *
 * @param text The text to search.
 * @param word The word or number, matched literally.
 * @returns Whether it occurs as a whole word; false for an empty word.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { containsWholeWord } from "./contains_whole_word.ts";
 * assert.equal(containsWholeWord("It flows into the Zonum Sea.", "Zonum Sea"), true);
 * assert.equal(containsWholeWord("It was -1823 degrees.", "1823"), false);
 * ```
 */
export function containsWholeWord(text: string, word: string): boolean {
  if (word === "") return false;
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const sign = /^\d/.test(word) ? "(?<!(?<![A-Za-z0-9_])-)" : "";
  return new RegExp(`(?<![\\p{L}\\p{N}_])${sign}${escaped}(?![\\p{L}\\p{N}_])`, "u").test(text);
}
