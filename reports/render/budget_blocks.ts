/**
 * A byte budget shared by all blocks of one output file, so many moderately long blocks (per-query
 * pages) cannot add up to a runaway file.
 *
 * @module
 */

import type { Block } from "./document.ts";
import { formatNumber } from "./format_number.ts";

/** Bytes a renderer may still emit for block content; shared and decremented across calls. */
export interface OutputBudget {
  /** Bytes left. */
  left: number;
}

const encoder = new TextEncoder();

/**
 * The note that replaces blocks left out for size.
 *
 * @param count How many blocks were left out.
 * @returns A warning note block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { omissionNote } from "./budget_blocks.ts";
 * assert.equal(omissionNote(3).kind, "note");
 * ```
 */
export function omissionNote(count: number): Block {
  const what = count === 1 ? "1 block" : `${formatNumber(count, { style: "integer" })} blocks`;
  return {
    kind: "note",
    tone: "warning",
    text: `${what} left out here: this file reached its size limit. \`report.json\` holds every number.`,
  };
}

/**
 * Renders blocks in order while their output fits the budget. Once a block does not fit, it and
 * every later block (here and in later calls sharing the budget) are left out, and one note per
 * call says how many. Chart blocks are not counted (the chart budget governs them) and details
 * blocks are not counted themselves: `render` must pass their children back through this function.
 *
 * @param blocks The blocks.
 * @param budget The shared budget, decremented in place.
 * @param render Renders one block.
 * @returns The rendered blocks, followed by the rendered omission note if any were left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderWithinBudget } from "./budget_blocks.ts";
 * const blocks = [{ kind: "code" as const, text: "aaaa" }, { kind: "code" as const, text: "bbbb" }];
 * const out = renderWithinBudget(blocks, { left: 6 }, (b) => b.kind === "code" ? b.text : b.kind);
 * assert.deepEqual(out, ["aaaa", "note"]);
 * ```
 */
export function renderWithinBudget(
  blocks: readonly Block[],
  budget: OutputBudget,
  render: (block: Block) => string,
): string[] {
  const out: string[] = [];
  let omitted = 0;
  for (const block of blocks) {
    if (budget.left <= 0) {
      omitted++;
      continue;
    }
    const text = render(block);
    if (block.kind !== "details" && block.kind !== "chart") {
      const bytes = encoder.encode(text).length;
      if (bytes > budget.left) {
        budget.left = 0;
        omitted++;
        continue;
      }
      budget.left -= bytes;
    }
    out.push(text);
  }
  if (omitted > 0) out.push(render(omissionNote(omitted)));
  return out;
}
