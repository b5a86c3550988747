/**
 * The final number a completion states.
 *
 * @module
 */

/**
 * Numbers as a reader finds them: digits not glued to a preceding letter, digit or underscore (`x1`
 * is a name, `2x` is the number 2), thousands separators only in groups of exactly three (`8,849`;
 * `(73, 19)` and `3,4` are separate numbers), an optional decimal part, and a minus sign (ASCII or
 * U+2212) only when it is attached to the digits and does not follow a letter, digit or closing
 * bracket (`-43`, `(-7)`, `= -8`; but `19-62` and `7 - 4` are subtractions of positive numbers).
 */
const NUMBER = /(?:(?<![A-Za-z0-9_)\]])[-−])?(?<![A-Za-z0-9_])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?/g;

/**
 * The last number written in a text: a completion's stated answer.
 *
 * @param text A completion.
 * @returns The value of the last number (`-0` as 0), or null when there is none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { finalNumber } from "./final_number.ts";
 * assert.equal(finalNumber("The height is 8,849 meters."), 8849);
 * assert.equal(finalNumber("y2 - y1 = 8 - 24 = -16"), -16);
 * assert.equal(finalNumber("Divide both sides by 8: x = 70."), 70);
 * assert.equal(finalNumber("No idea."), null);
 * ```
 */
export function finalNumber(text: string): number | null {
  const matches = text.match(NUMBER);
  if (matches === null) return null;
  const value = Number(matches[matches.length - 1].replace("−", "-").replaceAll(",", ""));
  return value === 0 ? 0 : value;
}
