/**
 * The whole report as GitHub-flavoured markdown.
 *
 * @module
 */

import { capDocument, DEFAULT_RENDER_LIMITS, type RenderLimits } from "./cap_document.ts";
import { renderWithinBudget } from "./budget_blocks.ts";
import type { Block, ReportDocument } from "./document.ts";
import { escapeMarkdown } from "./escape_markdown.ts";
import { renderMarkdownBlock } from "./render_markdown_block.ts";
import { replaceControlChars } from "./replace_control_chars.ts";
import { validateDocument } from "./validate_document.ts";

/** Options of {@linkcode renderMarkdown}. */
export interface RenderMarkdownOptions {
  /** Size limits; defaults to {@linkcode DEFAULT_RENDER_LIMITS}. */
  limits?: RenderLimits;
}

/**
 * Renders a report as GitHub-flavoured markdown: sections as `##` headings, tables as pipe tables,
 * charts as image links to `charts/<id>.svg`, collapsible blocks as `<details>`. All document text
 * is escaped so that it shows literally; long content is capped (see {@linkcode RenderLimits}).
 *
 * @param doc The document.
 * @param options Size limits.
 * @returns The markdown text, ending in a newline.
 * @throws {TypeError} If the document is malformed (see {@linkcode validateDocument}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMarkdown } from "./render_markdown.ts";
 * import type { ReportDocument } from "./document.ts";
 * const doc: ReportDocument = {
 *   title: "Run 1",
 *   json: {} as ReportDocument["json"],
 *   sections: [{ id: "intro", title: "Intro", blocks: [{ kind: "paragraph", text: "Hello" }] }],
 * };
 * assert.equal(renderMarkdown(doc), "# Run 1\n\n## Intro\n\nHello\n");
 * ```
 */
export function renderMarkdown(doc: ReportDocument, options: RenderMarkdownOptions = {}): string {
  validateDocument(doc);
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  const capped = capDocument(doc, limits);
  const budget = { left: limits.maxBodyBytes };
  const renderBlocks = (blocks: readonly Block[]): string[] =>
    renderWithinBudget(blocks, budget, (block) => renderMarkdownBlock(block, renderBlocks));
  const { json } = doc;
  const code = (value: unknown) =>
    `\`${replaceControlChars(String(value)).replace(/`/g, "'").replace(/\r\n?|\n/g, " ")}\``;
  const meta = [
    json.experiment !== undefined ? `Experiment ${code(json.experiment)}` : "",
    json.runId !== undefined ? `run ${code(json.runId)}` : "",
    json.createdAt !== undefined ? `created ${code(json.createdAt)}` : "",
    json.schemaVersion !== undefined ? `report schema ${code(json.schemaVersion)}` : "",
  ].filter((part) => part !== "").join(", ");
  const parts = [`# ${escapeMarkdown(doc.title, { inline: true })}`];
  if (doc.subtitle) parts.push(`*${escapeMarkdown(doc.subtitle, { inline: true })}*`);
  if (meta) parts.push(`${meta}.`);
  for (const section of capped.sections) {
    parts.push(`## ${escapeMarkdown(section.title, { inline: true })}`);
    parts.push(...renderBlocks(section.blocks));
  }
  return parts.filter((part) => part !== "").join("\n\n") + "\n";
}
