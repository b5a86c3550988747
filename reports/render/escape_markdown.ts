/**
 * Markdown escaping for untrusted text (GitHub-flavoured markdown).
 *
 * @module
 */

import { replaceControlChars } from "./replace_control_chars.ts";

// Characters with inline meaning anywhere in GFM (emphasis, code, links, tables, strikethrough,
// math, headings' closing sequences, backslash itself). Backslash escapes work on all of them.
const INLINE_SPECIAL = /[\\`*_[\]|~$#]/g;

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

// Block markers that only matter at the start of a line: list bullets, setext underlines, ordered
// list numbers ("1." or "1)"). `#` and `>` are handled everywhere.
const LINE_START_MARKER = /^([ \t]*)(?:([-+=])|(\d+)([.)]))/;

/**
 * Escapes untrusted text so that it renders literally in GitHub-flavoured markdown: no emphasis,
 * links, images, raw HTML, code spans, table cell breaks or block structure can come from it.
 *
 * @param text Untrusted text.
 * @param options `inline: true` for single-line places (table cells, list items, headings): line
 *   breaks become spaces. Otherwise line breaks are kept and each line is escaped.
 * @returns Markdown source that displays as `text`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeMarkdown } from "./escape_markdown.ts";
 * assert.equal(escapeMarkdown("a|b *c*", { inline: true }), "a\\|b \\*c\\*");
 * assert.equal(escapeMarkdown("<img>"), "&lt;img&gt;");
 * ```
 */
export function escapeMarkdown(text: string, options: { inline?: boolean } = {}): string {
  const cleaned = replaceControlChars(text).replace(/\r\n?/g, "\n");
  const lines = options.inline ? [cleaned.replace(/\n/g, " ")] : cleaned.split("\n");
  return lines.map(escapeLine).join("\n");
}

function escapeLine(line: string): string {
  const escaped = line.replace(/[&<>]/g, (c) => ENTITIES[c]).replace(INLINE_SPECIAL, (c) => `\\${c}`);
  return escaped.replace(
    LINE_START_MARKER,
    (_all, indent: string, bullet?: string, digits?: string, delimiter?: string) =>
      bullet !== undefined ? `${indent}\\${bullet}` : `${indent}${digits}\\${delimiter}`,
  );
}

/**
 * Wraps text in a fenced code block whose fence is longer than any backtick run inside, so the
 * text cannot close it.
 *
 * @param text Text shown verbatim.
 * @param language Optional info string; characters other than letters, digits, `+`, `-`, `_` are dropped.
 * @returns The fenced block, without a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fenceMarkdown } from "./escape_markdown.ts";
 * const three = "`".repeat(3);
 * const four = "`".repeat(4);
 * assert.equal(fenceMarkdown(`a ${three} b`, "text"), `${four}text\na ${three} b\n${four}`);
 * ```
 */
export function fenceMarkdown(text: string, language = ""): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  const info = language.replace(/[^A-Za-z0-9+_-]/g, "");
  const body = replaceControlChars(text).replace(/\r\n?/g, "\n");
  return `${fence}${info}\n${body}\n${fence}`;
}
