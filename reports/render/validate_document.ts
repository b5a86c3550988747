/**
 * Structural checks on a report document, run before anything is rendered or written.
 *
 * @module
 */

import type { Block, ReportDocument } from "./document.ts";
import { collectCharts } from "./collect_charts.ts";

/** Pattern for section ids (HTML anchors) and chart ids (file stems). */
export const DOCUMENT_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

function checkBlocks(blocks: readonly Block[], where: string): void {
  blocks.forEach((block, index) => {
    const at = `${where}.blocks[${index}]`;
    if (block.kind === "table") {
      if (block.columns.length === 0) {
        throw new TypeError(`Cannot render ${at}: a table needs at least one column`);
      }
      block.rows.forEach((row, r) => {
        if (row.length !== block.columns.length) {
          throw new TypeError(
            `Cannot render ${at}: row ${r} has ${row.length} cells, expected ${block.columns.length}`,
          );
        }
      });
    } else if (block.kind === "details") {
      checkBlocks(block.blocks, at);
    }
  });
}

/**
 * Checks that section and chart ids are well formed and unique and that table rows match their
 * columns.
 *
 * @param doc The document.
 * @throws {TypeError} Naming the first offending id or block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateDocument } from "./validate_document.ts";
 * import type { ReportDocument } from "./document.ts";
 * const doc: ReportDocument = {
 *   title: "t",
 *   json: {} as ReportDocument["json"],
 *   sections: [{ id: "a", title: "A", blocks: [] }, { id: "a", title: "B", blocks: [] }],
 * };
 * assert.throws(() => validateDocument(doc), TypeError);
 * ```
 */
export function validateDocument(doc: ReportDocument): void {
  const sectionIds = new Set<string>();
  for (const section of doc.sections) {
    if (!DOCUMENT_ID_PATTERN.test(section.id)) {
      throw new TypeError(
        `Cannot render section ${JSON.stringify(section.id)}: ids must match ${DOCUMENT_ID_PATTERN}`,
      );
    }
    if (sectionIds.has(section.id)) {
      throw new TypeError(`Cannot render section ${JSON.stringify(section.id)}: the id is used twice`);
    }
    sectionIds.add(section.id);
    checkBlocks(section.blocks, `section ${JSON.stringify(section.id)}`);
  }
  const chartIds = new Set<string>();
  for (const chart of collectCharts(doc)) {
    if (!DOCUMENT_ID_PATTERN.test(chart.id)) {
      throw new TypeError(
        `Cannot render chart ${JSON.stringify(chart.id)}: ids must match ${DOCUMENT_ID_PATTERN}`,
      );
    }
    // Compared without case: chart ids name files, and some filesystems ignore case.
    if (chartIds.has(chart.id.toLowerCase())) {
      throw new TypeError(`Cannot render chart ${JSON.stringify(chart.id)}: the id is used twice`);
    }
    chartIds.add(chart.id.toLowerCase());
  }
}
