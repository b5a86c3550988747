/**
 * HTML escaping for untrusted text.
 *
 * @module
 */

import { replaceControlChars } from "./replace_control_chars.ts";

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for use in HTML element content or a quoted attribute value. Control characters that
 * HTML forbids become U+FFFD.
 *
 * @param text Untrusted text.
 * @returns Text with `& < > " '` replaced by character references.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./escape_html.ts";
 * assert.equal(escapeHtml('<b title="x">&</b>'), "&lt;b title=&quot;x&quot;&gt;&amp;&lt;/b&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return replaceControlChars(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/**
 * Serialises a value as JSON that is safe inside an HTML `<script type="application/json">` block:
 * `<`, `>`, `&`, U+2028 and U+2029 become `\u` escapes, so no `</script>` or `<!--` can appear.
 * `JSON.parse` of the element's text gives the value back.
 *
 * @param value A JSON-serialisable value.
 * @param indent Indentation passed to `JSON.stringify`; defaults to none.
 * @returns The escaped JSON text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonForHtmlScript } from "./escape_html.ts";
 * const text = jsonForHtmlScript({ label: "</script>" });
 * assert.equal(text.includes("</"), false);
 * assert.deepEqual(JSON.parse(text), { label: "</script>" });
 * ```
 */
export function jsonForHtmlScript(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
