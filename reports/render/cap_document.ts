/**
 * Size caps for the human-readable outputs, so a report with long tables or per-query pages stays
 * small enough to open (well under a few MB). `report.json` is never capped.
 *
 * @module
 */

import type { Block, ReportDocument, TableCell } from "./document.ts";
import { formatNumber } from "./format_number.ts";

/** Limits on what `report.md` and `report.html` inline. */
export interface RenderLimits {
  /** Rows per table and pairs per key-value block. */
  maxTableRows: number;
  /** Items per list. */
  maxListItems: number;
  /** Tokens per shaded-token block. */
  maxTokens: number;
  /** Characters per paragraph, note or code block. */
  maxTextChars: number;
  /** Characters per table cell or key-value value. */
  maxCellChars: number;
  /** Bytes of chart SVG and embedded specs inlined in `report.html`, all charts together. */
  maxInlineChartBytes: number;
  /** Bytes of block content other than charts per output file; later blocks are left out with a note. */
  maxBodyBytes: number;
}

/** Default limits: a report with these stays below about 4 MB of HTML. */
export const DEFAULT_RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxTableRows: 200,
  maxListItems: 200,
  maxTokens: 4000,
  maxTextChars: 20_000,
  maxCellChars: 1_000,
  maxInlineChartBytes: 2_000_000,
  maxBodyBytes: 2_000_000,
});

const count = (n: number) => formatNumber(n, { style: "integer" });

function note(text: string): Block {
  return { kind: "note", tone: "info", text };
}

/**
 * Shortens text to at most `max` characters plus an ellipsis, never splitting a surrogate pair.
 *
 * @param text The text.
 * @param max Characters to keep.
 * @returns `text` unchanged if short enough, else its shortened form ending in `…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortenText } from "./cap_document.ts";
 * assert.equal(shortenText("abcdef", 3), "abc\u2026");
 * ```
 */
export function shortenText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}\u2026`;
}

function capCell<T extends TableCell | boolean>(cell: T, limits: RenderLimits): T | string {
  return typeof cell === "string" ? shortenText(cell, limits.maxCellChars) : cell;
}

function capText(text: string, limits: RenderLimits): [string, Block[]] {
  if (text.length <= limits.maxTextChars) return [text, []];
  const notes = [
    note(`Text shortened to ${count(limits.maxTextChars)} of ${count(text.length)} characters.`),
  ];
  return [shortenText(text, limits.maxTextChars), notes];
}

function capBlock(block: Block, limits: RenderLimits): Block[] {
  switch (block.kind) {
    case "paragraph":
    case "note":
    case "code": {
      const [text, notes] = capText(block.text, limits);
      return [{ ...block, text }, ...notes];
    }
    case "table": {
      const rows = block.rows.slice(0, limits.maxTableRows).map((row) => row.map((c) => capCell(c, limits)));
      const left = block.rows.length - rows.length;
      const notes = left > 0
        ? [
          note(
            `Showing the first ${count(rows.length)} of ${count(block.rows.length)} rows; ${
              count(left)
            } left out.`,
          ),
        ]
        : [];
      return [{ ...block, rows }, ...notes];
    }
    case "keyValue": {
      const pairs = block.pairs.slice(0, limits.maxTableRows)
        .map((pair) => ({ ...pair, value: capCell(pair.value, limits) }));
      const left = block.pairs.length - pairs.length;
      return [{ ...block, pairs }, ...(left > 0 ? [note(`${count(left)} more entries left out.`)] : [])];
    }
    case "list": {
      const items = block.items.slice(0, limits.maxListItems).map((item) =>
        shortenText(item, limits.maxCellChars)
      );
      const left = block.items.length - items.length;
      return [{ ...block, items }, ...(left > 0 ? [note(`${count(left)} more items left out.`)] : [])];
    }
    case "tokens": {
      if (block.tokens.length <= limits.maxTokens) return [block];
      const tokens = block.tokens.slice(0, limits.maxTokens);
      const left = block.tokens.length - tokens.length;
      return [
        { ...block, tokens },
        note(`Showing the first ${count(tokens.length)} tokens; ${count(left)} left out.`),
      ];
    }
    case "details":
      return [{ ...block, blocks: capBlocks(block.blocks, limits) }];
    case "heading":
    case "chart":
      return [block];
  }
}

function capBlocks(blocks: readonly Block[], limits: RenderLimits): Block[] {
  return blocks.flatMap((block) => capBlock(block, limits));
}

/**
 * Applies the text, row, item and token limits to a document, adding a note after each block that
 * was shortened saying how much was left out. Charts are budgeted by the HTML renderer instead.
 *
 * @param doc The document; not modified.
 * @param limits The limits; defaults to {@linkcode DEFAULT_RENDER_LIMITS}.
 * @returns A document whose sections hold the capped blocks (the `json` payload is shared).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capDocument, DEFAULT_RENDER_LIMITS } from "./cap_document.ts";
 * import type { ReportDocument } from "./document.ts";
 * const doc = {
 *   title: "t",
 *   json: {} as ReportDocument["json"],
 *   sections: [{ id: "s", title: "S", blocks: [{ kind: "list" as const, items: ["a", "b", "c"] }] }],
 * };
 * const capped = capDocument(doc, { ...DEFAULT_RENDER_LIMITS, maxListItems: 2 });
 * assert.equal(capped.sections[0].blocks.length, 2);
 * ```
 */
export function capDocument(
  doc: ReportDocument,
  limits: RenderLimits = DEFAULT_RENDER_LIMITS,
): ReportDocument {
  return {
    ...doc,
    sections: doc.sections.map((section) => ({ ...section, blocks: capBlocks(section.blocks, limits) })),
  };
}
