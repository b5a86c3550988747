/**
 * Finding the charts of a document, including those inside collapsible blocks.
 *
 * @module
 */

import type { Block, ChartBlock, ReportDocument } from "./document.ts";

function* chartsIn(blocks: readonly Block[]): Generator<ChartBlock> {
  for (const block of blocks) {
    if (block.kind === "chart") yield block;
    else if (block.kind === "details") yield* chartsIn(block.blocks);
  }
}

/**
 * Lists every chart block of a document in reading order, descending into details blocks.
 *
 * @param doc The document.
 * @returns The chart blocks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectCharts } from "./collect_charts.ts";
 * import type { ReportDocument } from "./document.ts";
 * const doc: ReportDocument = { title: "t", json: {} as ReportDocument["json"], sections: [] };
 * assert.deepEqual(collectCharts(doc), []);
 * ```
 */
export function collectCharts(doc: ReportDocument): ChartBlock[] {
  return doc.sections.flatMap((section) => [...chartsIn(section.blocks)]);
}
