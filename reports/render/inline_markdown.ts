/**
 * Inline text to markdown.
 *
 * @module
 */

import { escapeMarkdown } from "./escape_markdown.ts";
import { parseInline } from "./parse_inline.ts";

/**
 * Renders inline text (`**bold**`, `` `code` ``, everything else literal) as GitHub-flavoured
 * markdown on one line.
 *
 * @param text Untrusted inline text.
 * @param options `plain: true` treats `text` as plain text without markup; `table: true` for table
 *   cells (pipes inside code spans are escaped too).
 * @returns Markdown whose only formatting is the bold and code spans of `text`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inlineMarkdown } from "./inline_markdown.ts";
 * assert.equal(inlineMarkdown("**a|b** `x|y` [z]", { table: true }), "**a\\|b** `x\\|y` \\[z\\]");
 * ```
 */
export function inlineMarkdown(text: string, options: { plain?: boolean; table?: boolean } = {}): string {
  if (options.plain) return escapeMarkdown(text, { inline: true });
  return parseInline(text).map(({ style, text }) => {
    if (style === "code") {
      // Backslash escapes are literal inside code spans, except that GFM tables need "\|".
      const oneLine = text.replace(/\r\n?|\n/g, " ");
      const body = options.table ? oneLine.replace(/\|/g, "\\|") : oneLine;
      const pad = body.startsWith(" ") || body.endsWith(" ") ? " " : "";
      return `\`${pad}${body}${pad}\``;
    }
    const escaped = escapeMarkdown(text, { inline: true });
    return style === "bold" ? `**${escaped}**` : escaped;
  }).join("");
}
