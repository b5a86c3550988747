/**
 * Inline text to HTML.
 *
 * @module
 */

import { escapeHtml } from "./escape_html.ts";
import { parseInline } from "./parse_inline.ts";

/**
 * Renders inline text (`**bold**`, `` `code` ``, everything else literal) as escaped HTML.
 *
 * @param text Untrusted inline text.
 * @returns HTML with only `<strong>` and `<code>` elements of its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inlineHtml } from "./inline_html.ts";
 * assert.equal(inlineHtml("**a<b>** `x`"), "<strong>a&lt;b&gt;</strong> <code>x</code>");
 * ```
 */
export function inlineHtml(text: string): string {
  return parseInline(text).map(({ style, text }) => {
    const escaped = escapeHtml(text);
    if (style === "bold") return `<strong>${escaped}</strong>`;
    if (style === "code") return `<code>${escaped}</code>`;
    return escaped;
  }).join("");
}
