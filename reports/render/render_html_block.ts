/**
 * One document block to HTML. All document text is escaped; the only markup is this file's own.
 *
 * @module
 */

import type { Block, ChartBlock, TableBlock, TableColumn, TokensBlock } from "./document.ts";
import { escapeHtml, jsonForHtmlScript } from "./escape_html.ts";
import { formatCell, formatNumber } from "./format_number.ts";
import { inlineHtml } from "./inline_html.ts";
import {
  defaultShadeScale,
  MAX_SHADE_ALPHA,
  NEGATIVE_RGB,
  POSITIVE_RGB,
  tokenShadeLevel,
} from "./token_shade.ts";

/** What `report.html` inlines for one chart: its SVG and its spec, each unless over the size budget. */
export interface ChartEmbedding {
  /** SVG markup to inline, or null to link `charts/<id>.svg` instead. */
  svg: string | null;
  /** Vega-Lite spec (with data) to embed as JSON, or null to point at `charts/<id>.vl.json`. */
  spec: unknown | null;
}

function text(value: string, plain = false): string {
  const html = plain ? escapeHtml(value) : inlineHtml(value);
  return html.replace(/\r\n?|\n/g, "<br>");
}

function paragraphs(value: string, plain: boolean, attributes = ""): string {
  return value.split(/\r?\n[ \t]*\r?\n/).filter((p) => p.trim() !== "")
    .map((p) => `<p${attributes}>${text(p, plain)}</p>`).join("\n");
}

function columnAlign(table: TableBlock, column: TableColumn, index: number): string {
  if (column.align) return column.align;
  return table.rows.some((row) => typeof row[index] === "number") ? "right" : "left";
}

function renderTable(table: TableBlock): string {
  const aligns = table.columns.map((column, i) => `al-${columnAlign(table, column, i)}`);
  const head = table.columns.map((c, i) => `<th class="${aligns[i]}">${escapeHtml(c.label)}</th>`).join("");
  const body = table.rows.map((row) =>
    `<tr>${
      row.map((cell, i) =>
        `<td class="${aligns[i]}">${escapeHtml(formatCell(cell, table.columns[i].format))}</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  const caption = table.caption ? `<figcaption>${text(table.caption)}</figcaption>` : "";
  return `<figure class="table"><div class="table-wrap"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>${caption}</figure>`;
}

function renderChart(chart: ChartBlock, embedding: ChartEmbedding | undefined): string {
  const file = `charts/${encodeURIComponent(chart.id)}`;
  const picture = embedding?.svg != null
    ? `<div class="chart-svg" role="img" aria-label="${escapeHtml(chart.title)}">${embedding.svg}</div>`
    : `<p class="note">This chart is too large to inline; open <a href="${file}.svg">${file}.svg</a>.</p>`;
  const spec = embedding?.spec != null
    ? `<script type="application/json" class="vega-lite-spec" data-chart="${escapeHtml(chart.id)}">${
      jsonForHtmlScript(embedding.spec)
    }</script>`
    : `<p class="note">The Vega-Lite spec and data are in <a href="${file}.vl.json">${file}.vl.json</a>.</p>`;
  const caption = `<figcaption><strong>${escapeHtml(chart.title)}</strong>${
    chart.caption ? ` ${text(chart.caption)}` : ""
  }</figcaption>`;
  return `<figure class="chart" id="chart-${escapeHtml(chart.id)}">${picture}${caption}\n${spec}</figure>`;
}

function swatch(rgb: readonly number[]): string {
  return `<span class="swatch" style="background:rgba(${rgb.join(",")},${MAX_SHADE_ALPHA})"></span>`;
}

function renderTokens(block: TokensBlock): string {
  const scale = block.scale ?? defaultShadeScale(block.tokens);
  // Class-based shading (see tokenShadeCss): a few bytes per token, so long shaded texts stay small.
  const spans = block.tokens.map(({ text, weight }) => {
    const level = tokenShadeLevel(weight, scale);
    const cls = level === 0 ? "" : ` class="s${level > 0 ? "p" : "n"}${Math.abs(level)}"`;
    return `<span${cls} title="${escapeHtml(formatNumber(weight))}">${escapeHtml(text)}</span>`;
  }).join("");
  const legend = block.legend ?? { positive: "positive", negative: "negative" };
  const caption = `${swatch(POSITIVE_RGB)} ${escapeHtml(legend.positive)} &nbsp; ${swatch(NEGATIVE_RGB)} ${
    escapeHtml(legend.negative)
  } &nbsp; (full colour at |weight| = ${escapeHtml(formatNumber(scale))})${
    block.caption ? `<br>${text(block.caption)}` : ""
  }`;
  return `<figure class="tokens"><div class="tokens-text">${spans}</div><figcaption>${caption}</figcaption></figure>`;
}

/**
 * Renders one block (and, for details blocks, its children) as HTML.
 *
 * @param block The block.
 * @param charts What to inline for each chart id; charts without an entry are linked.
 * @param renderBlocks Renders a details block's children; defaults to rendering each in turn.
 * @returns HTML markup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderHtmlBlock } from "./render_html_block.ts";
 * assert.equal(renderHtmlBlock({ kind: "paragraph", text: "<i>" }, new Map()), "<p>&lt;i&gt;</p>");
 * ```
 */
export function renderHtmlBlock(
  block: Block,
  charts: ReadonlyMap<string, ChartEmbedding>,
  renderBlocks: (blocks: readonly Block[]) => string[] = (blocks) =>
    blocks.map((child) => renderHtmlBlock(child, charts)),
): string {
  switch (block.kind) {
    case "heading": {
      const level = block.level ?? 3;
      return `<h${level}>${escapeHtml(block.text)}</h${level}>`;
    }
    case "paragraph":
      return paragraphs(block.text, block.plain ?? false);
    case "note":
      return `<div class="note note-${block.tone ?? "info"}" role="note">${
        paragraphs(block.text, false)
      }</div>`;
    case "table":
      return renderTable(block);
    case "chart":
      return renderChart(block, charts.get(block.id));
    case "list": {
      const tag = block.ordered ? "ol" : "ul";
      return `<${tag}>${block.items.map((item) => `<li>${text(item)}</li>`).join("\n")}</${tag}>`;
    }
    case "code":
      return `<pre><code>${escapeHtml(block.text)}</code></pre>`;
    case "keyValue":
      return `<dl class="kv">${
        block.pairs.map((p) =>
          `<dt>${escapeHtml(p.key)}</dt><dd>${escapeHtml(formatCell(p.value, p.format))}</dd>`
        )
          .join("\n")
      }</dl>`;
    case "details":
      return `<details${block.open ? " open" : ""}><summary>${escapeHtml(block.summary)}</summary>\n${
        renderBlocks(block.blocks).join("\n")
      }\n</details>`;
    case "tokens":
      return renderTokens(block);
  }
}
