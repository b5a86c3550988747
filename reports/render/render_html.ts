/**
 * The whole report as one self-contained HTML page.
 *
 * @module
 */

import { capDocument, DEFAULT_RENDER_LIMITS, type RenderLimits } from "./cap_document.ts";
import { collectCharts } from "./collect_charts.ts";
import { renderWithinBudget } from "./budget_blocks.ts";
import type { Block, ReportDocument } from "./document.ts";
import { escapeHtml } from "./escape_html.ts";
import { REPORT_CSS } from "./html_style.ts";
import { type ChartEmbedding, renderHtmlBlock } from "./render_html_block.ts";
import { validateDocument } from "./validate_document.ts";

/** Options of {@linkcode renderHtml}. */
export interface RenderHtmlOptions {
  /** Size limits; defaults to {@linkcode DEFAULT_RENDER_LIMITS}. */
  limits?: RenderLimits;
}

// No scripts run and nothing is fetched, even if some markup were to slip through escaping.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const byteLength = (text: string) => new TextEncoder().encode(text).length;

function planEmbeddings(doc: ReportDocument, svgs: ReadonlyMap<string, string>, budget: number) {
  const embeddings = new Map<string, ChartEmbedding>();
  let left = budget;
  for (const chart of collectCharts(doc)) {
    const svg = svgs.get(chart.id);
    if (svg === undefined) {
      throw new TypeError(`Cannot render chart ${JSON.stringify(chart.id)}: no SVG was given`);
    }
    const svgBytes = byteLength(svg);
    const specBytes = byteLength(JSON.stringify(chart.spec));
    if (svgBytes + specBytes <= left) {
      embeddings.set(chart.id, { svg, spec: chart.spec });
      left -= svgBytes + specBytes;
    } else if (svgBytes <= left) {
      embeddings.set(chart.id, { svg, spec: null });
      left -= svgBytes;
    } else {
      embeddings.set(chart.id, { svg: null, spec: null });
    }
  }
  return embeddings;
}

/**
 * Renders a report as one HTML page that opens offline and needs no JavaScript: inline CSS, inline
 * SVG charts, each chart's Vega-Lite spec and data in a `<script type="application/json">` block, a
 * table of contents and the run's identity. All document text is escaped. Long content is capped
 * (see {@linkcode RenderLimits}); charts beyond the inline budget are linked to their files in
 * `charts/` instead.
 *
 * @param doc The document.
 * @param svgs SVG markup per chart id, from {@linkcode renderChartSvg}.
 * @param options Size limits.
 * @returns The HTML page.
 * @throws {TypeError} If the document is malformed (see {@linkcode validateDocument}) or a chart has no SVG.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderHtml } from "./render_html.ts";
 * import type { ReportDocument } from "./document.ts";
 * const doc: ReportDocument = {
 *   title: "Run <1>",
 *   json: { experiment: "e", runId: "r" } as ReportDocument["json"],
 *   sections: [{ id: "intro", title: "Intro", blocks: [{ kind: "paragraph", text: "Hello" }] }],
 * };
 * const html = renderHtml(doc, new Map());
 * assert.ok(html.includes("<h1>Run &lt;1&gt;</h1>"));
 * ```
 */
export function renderHtml(
  doc: ReportDocument,
  svgs: ReadonlyMap<string, string>,
  options: RenderHtmlOptions = {},
): string {
  validateDocument(doc);
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  const capped = capDocument(doc, limits);
  const embeddings = planEmbeddings(capped, svgs, limits.maxInlineChartBytes);
  const { json } = doc;
  const meta = [
    json.experiment !== undefined ? `Experiment <code>${escapeHtml(String(json.experiment))}</code>` : "",
    json.runId !== undefined ? `run <code>${escapeHtml(String(json.runId))}</code>` : "",
    json.createdAt !== undefined ? `created ${escapeHtml(String(json.createdAt))}` : "",
    json.schemaVersion !== undefined ? `report schema ${escapeHtml(String(json.schemaVersion))}` : "",
  ].filter((part) => part !== "").join(", ");
  const toc = capped.sections.map((s) =>
    `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`
  );
  const budget = { left: limits.maxBodyBytes };
  const renderBlocks = (blocks: readonly Block[]): string[] =>
    renderWithinBudget(blocks, budget, (block) => renderHtmlBlock(block, embeddings, renderBlocks));
  const sections = capped.sections.map((section) =>
    `<section id="${escapeHtml(section.id)}">\n<h2>${escapeHtml(section.title)}</h2>\n${
      renderBlocks(section.blocks).join("\n")
    }\n</section>`
  );
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${escapeHtml(doc.title)}</h1>`,
    doc.subtitle ? `<p class="subtitle">${escapeHtml(doc.subtitle)}</p>` : "",
    meta ? `<p class="run-meta">${meta}.</p>` : "",
    "</header>",
    toc.length > 0
      ? `<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>\n${toc.join("\n")}\n</ol></nav>`
      : "",
    "<main>",
    ...sections,
    "</main>",
    "<footer>Machine-readable results are in <code>report.json</code> beside this file; chart files are in <code>charts/</code>.</footer>",
    "</body>",
    "</html>",
  ].filter((line) => line !== "").join("\n") + "\n";
}
