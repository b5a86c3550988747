/**
 * The tiny inline markup understood in inline-text fields: `**bold**` and `` `code` ``.
 *
 * @module
 */

/** A run of inline text with one style. */
export interface InlineSegment {
  /** `text`: literal; `bold`: strong emphasis; `code`: monospace. */
  style: "text" | "bold" | "code";
  /** The segment's literal characters (never markup). */
  text: string;
}

// `code` (no backticks inside) or **bold** (no "**" inside, not empty).
const INLINE_TOKEN = /`([^`]+)`|\*\*((?:(?!\*\*)[\s\S])+?)\*\*/g;

/**
 * Splits inline text into styled segments. Markers without a partner stay literal; nothing else
 * has meaning, so the result can be escaped segment by segment for any output format.
 *
 * @param text Inline text.
 * @returns Segments in order; adjacent plain text is merged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInline } from "./parse_inline.ts";
 * assert.deepEqual(parseInline("a **b** `c` *d*"), [
 *   { style: "text", text: "a " },
 *   { style: "bold", text: "b" },
 *   { style: "text", text: " " },
 *   { style: "code", text: "c" },
 *   { style: "text", text: " *d*" },
 * ]);
 * ```
 */
export function parseInline(text: string): InlineSegment[] {
  const segments: InlineSegment[] = [];
  const push = (style: InlineSegment["style"], part: string) => {
    const last = segments.at(-1);
    if (style === "text" && last?.style === "text") last.text += part;
    else if (part !== "") segments.push({ style, text: part });
  };
  let index = 0;
  for (const match of text.matchAll(INLINE_TOKEN)) {
    push("text", text.slice(index, match.index));
    if (match[1] !== undefined) push("code", match[1]);
    else push("bold", match[2]);
    index = match.index + match[0].length;
  }
  push("text", text.slice(index));
  return segments;
}
