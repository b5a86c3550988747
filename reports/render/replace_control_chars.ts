/**
 * Removal of control characters that HTML and markdown cannot carry.
 *
 * @module
 */

// C0 controls other than tab, newline and carriage return, and DEL. Matching them is the point.
// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * Replaces C0 control characters (except tab, newline, carriage return) and DEL with U+FFFD, so
 * untrusted text cannot carry terminal escapes or characters HTML forbids.
 *
 * @param text Untrusted text.
 * @returns The text with those characters replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replaceControlChars } from "./replace_control_chars.ts";
 * assert.equal(replaceControlChars("a\u0000b\tc"), "a\uFFFDb\tc");
 * ```
 */
export function replaceControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, "\uFFFD");
}
