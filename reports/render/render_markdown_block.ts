/**
 * One document block to GitHub-flavoured markdown. All document text is escaped.
 *
 * @module
 */

import type { Block, TableBlock, TableCell, TokensBlock } from "./document.ts";
import { escapeHtml } from "./escape_html.ts";
import { escapeMarkdown, fenceMarkdown } from "./escape_markdown.ts";
import { formatCell, formatNumber } from "./format_number.ts";
import { inlineMarkdown } from "./inline_markdown.ts";
import { defaultShadeScale } from "./token_shade.ts";

/** Tokens listed by |weight| under a shaded-token block (markdown cannot colour text). */
export const MARKDOWN_TOP_TOKENS = 10;

function paragraphs(text: string, plain: boolean): string {
  return text.split(/\r?\n[ \t]*\r?\n/).filter((p) => p.trim() !== "")
    // A trailing backslash is a hard line break, keeping the text's own line breaks.
    .map((p) => p.split(/\r?\n/).map((line) => inlineMarkdown(line, { plain })).join("\\\n"))
    .join("\n\n");
}

function cell(value: TableCell, format: TableBlock["columns"][number]["format"]): string {
  // Formatted numbers hold only digits, signs, separators and symbols with no markdown meaning.
  return typeof value === "string" ? escapeMarkdown(value, { inline: true }) : formatCell(value, format);
}

function table(header: string[], aligns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(aligns), ...rows.map(line)].join("\n");
}

function renderTable(block: TableBlock): string {
  const aligns = block.columns.map((column, i) => {
    const align = column.align ?? (block.rows.some((row) => typeof row[i] === "number") ? "right" : "left");
    return align === "right" ? "---:" : align === "center" ? ":---:" : "---";
  });
  const header = block.columns.map((c) => inlineMarkdown(c.label, { plain: true, table: true }));
  const rows = block.rows.map((row) => row.map((value, i) => cell(value, block.columns[i].format)));
  const caption = block.caption ? `\n\n*${inlineMarkdown(block.caption)}*` : "";
  return table(header, aligns, rows) + caption;
}

function renderTokens(block: TokensBlock): string {
  const text = block.tokens.map((t) => t.text).join("");
  const legend = block.legend ?? { positive: "positive", negative: "negative" };
  const top = block.tokens.map((token, position) => ({ ...token, position }))
    .filter((t) => Number.isFinite(t.weight))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.position - b.position)
    .slice(0, MARKDOWN_TOP_TOKENS);
  const rows = top.map((t) => [
    String(t.position),
    escapeMarkdown(JSON.stringify(t.text), { inline: true }),
    formatNumber(t.weight),
  ]);
  const positive = escapeMarkdown(legend.positive, { inline: true });
  const negative = escapeMarkdown(legend.negative, { inline: true });
  const scale = formatNumber(block.scale ?? defaultShadeScale(block.tokens));
  const parts = [
    fenceMarkdown(text, "text"),
    `Tokens with the largest absolute weight (positive: ${positive}; negative: ${negative}). ` +
    `In report.html every token is shaded, full colour at ${scale}.`,
    table(["Position", "Token", "Weight"], ["---:", "---", "---:"], rows),
  ];
  if (block.caption) parts.push(`*${inlineMarkdown(block.caption)}*`);
  return parts.join("\n\n");
}

/**
 * Renders one block (and, for details blocks, its children) as GitHub-flavoured markdown.
 *
 * @param block The block.
 * @param renderBlocks Renders a details block's children; defaults to rendering each in turn.
 * @returns Markdown, without surrounding blank lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMarkdownBlock } from "./render_markdown_block.ts";
 * assert.equal(renderMarkdownBlock({ kind: "list", items: ["a *b*", "**c**"] }), "- a \\*b\\*\n- **c**");
 * ```
 */
export function renderMarkdownBlock(
  block: Block,
  renderBlocks: (blocks: readonly Block[]) => string[] = (blocks) =>
    blocks.map((child) => renderMarkdownBlock(child)),
): string {
  switch (block.kind) {
    case "heading":
      return `${"#".repeat(block.level ?? 3)} ${escapeMarkdown(block.text, { inline: true })}`;
    case "paragraph":
      return paragraphs(block.text, block.plain ?? false);
    case "note": {
      const body = paragraphs(block.text, false).split("\n").map((line) => line === "" ? ">" : `> ${line}`);
      return [`> [!${block.tone === "warning" ? "WARNING" : "NOTE"}]`, ...body].join("\n");
    }
    case "table":
      return renderTable(block);
    case "chart": {
      const caption = block.caption ? ` ${inlineMarkdown(block.caption)}` : "";
      return `![${escapeMarkdown(block.title, { inline: true })}](charts/${block.id}.svg)\n\n` +
        `*${escapeMarkdown(block.title, { inline: true })}.*${caption} ` +
        `([Vega-Lite spec and data](charts/${block.id}.vl.json))`;
    }
    case "list":
      return block.items.map((item, i) => `${block.ordered ? `${i + 1}.` : "-"} ${inlineMarkdown(item)}`)
        .join("\n");
    case "code":
      return fenceMarkdown(block.text, block.language);
    case "keyValue":
      return block.pairs.map((p) =>
        `- **${escapeMarkdown(p.key, { inline: true })}**: ${
          typeof p.value === "string"
            ? escapeMarkdown(p.value, { inline: true })
            : formatCell(p.value, p.format)
        }`
      ).join("\n");
    case "details":
      // The summary sits in raw HTML, so it is HTML-escaped; the blank lines let markdown resume.
      return `<details${block.open ? " open" : ""}>\n<summary>${
        escapeHtml(block.summary.replace(/\r\n?|\n/g, " "))
      }</summary>\n\n${renderBlocks(block.blocks).join("\n\n")}\n\n</details>`;
    case "tokens":
      return renderTokens(block);
  }
}
