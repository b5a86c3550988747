import type { Block, Section } from "../render/mod.ts";
import type { Findings } from "../findings/compute_findings.ts";
import { formatEffect, formatInterval, formatTest } from "../findings/findings_table.ts";
import { availabilityNote, groupsSentence } from "./availability_note.ts";

/** Queries per set shown in the heatmaps (the full matrices are in findings.json). */
export const HEATMAP_QUERIES_PER_SET = 10;

/**
 * F1: query × query correlation heatmaps side by side (up to {@linkcode HEATMAP_QUERIES_PER_SET} queries
 * per set), the mean r within and between sets with permutation tests, and the same prompt across setups.
 *
 * @param findings The measured findings.
 * @returns The section.
 */
export function f1Section(findings: Findings): Section {
  const cells = findings.setups.flatMap((s) => {
    const keep = s.f1.ids.map((_, i) => i).filter((i) =>
      s.f1.sets.slice(0, i).filter((x) => x === s.f1.sets[i]).length < HEATMAP_QUERIES_PER_SET
    );
    const n = s.f1.ids.length;
    // Compact cells (positions in the shown order, r to 3 decimals): the heatmap has thousands of them.
    return keep.flatMap((i, x) =>
      keep.map((j, y) => ({
        setup: s.setup,
        x,
        y,
        r: Number.isFinite(s.f1.matrix[i * n + j]) ? Math.round(s.f1.matrix[i * n + j] * 1000) / 1000 : null,
      }))
    );
  });
  const groups = groupsSentence(findings);
  const blocks: Block[] = [
    ...availabilityNote(findings, ["F1", "F1x"]),
    {
      kind: "paragraph",
      text: "Pearson r between two queries' influence scores over all documents. The paper finds high r " +
        "between queries of the same reasoning task (shared procedural documents) and near-zero r between " +
        "factual queries (each relies on its own documents).",
    },
    {
      kind: "chart",
      id: "f1-heatmaps",
      title: "Query × query correlation of influence scores",
      caption: groups === null
        ? `Ordered factual, arithmetic, slopes, linear, controls; at most ${HEATMAP_QUERIES_PER_SET} queries per set.`
        : `Ordered by group (factual, reasoning, control; a set's group is its queries' kind — ${groups}); ` +
          `at most ${HEATMAP_QUERIES_PER_SET} queries per set.`,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: cells },
        facet: { column: { field: "setup", type: "nominal", title: null } },
        spec: {
          width: 260,
          height: 260,
          mark: { type: "rect", aria: false },
          encoding: {
            x: { field: "x", type: "ordinal", axis: null },
            y: { field: "y", type: "ordinal", axis: null },
            color: {
              field: "r",
              type: "quantitative",
              scale: { domain: [-1, 1], scheme: "redblue", reverse: true },
            },
          },
        },
      },
    },
  ];
  const sets = [...new Set(findings.setups.flatMap((s) => Object.keys(s.f1.within)))];
  blocks.push({
    kind: "table",
    caption: "Per set: the mean over its queries of each query's mean r with the other queries of the set " +
      "[95% bootstrap interval over queries], and, as a baseline only, the one-sided permutation p-value of " +
      "the set's mean pair r against rows whose document order is shuffled (is it above chance; at least " +
      "1/(1 + permutations); sets with many pairs get fewer permutations, see findings.json). The verdict's " +
      "test is the next paragraph's.",
    columns: [
      { label: "set", align: "left" },
      ...findings.setups.flatMap((s) => [
        { label: `${s.setup}: mean r`, align: "left" as const },
        { label: `${s.setup}: permutation p`, format: { style: "significant" as const, digits: 2 } },
      ]),
    ],
    rows: sets.map((set) => [
      set,
      ...findings.setups.flatMap((s) => [
        s.f1.within[set] ? formatInterval(s.f1.within[set]) : "",
        s.f1.permutation[set]?.pValue ?? null,
      ]),
    ]),
  });
  blocks.push({
    kind: "paragraph",
    text: "Reasoning queries against factual queries, one value per query (its mean r with the other " +
      "queries of its set), set labels shuffled among the queries: " +
      findings.setups.map((s) =>
        `${s.setup}: reasoning ${formatInterval(s.f1.comparison.a)} vs factual ${
          formatInterval(s.f1.comparison.b)
        } (${formatTest(s.f1.comparison)}; ${formatEffect(s.f1.comparison)}).`
      ).join(" "),
  });
  if (findings.cross) {
    const c = findings.cross;
    const transfer = c.transfer
      ? ` Against the ${c.large} reasoning queries' mean r within their set: ${formatTest(c.transfer)}; ` +
        `${formatEffect(c.transfer)}.`
      : "";
    blocks.push({
      kind: "paragraph",
      text:
        `The same prompt under ${c.small} and ${c.large} (${c.samePrompt.length} shared prompts): mean r ` +
        `${formatInterval(c.samePromptMean)}, largest ${
          c.samePromptMax.toFixed(3)
        } (paper: mean 0.02, max 0.19).${transfer}`,
    });
  }
  return { id: "f1", title: "F1 — Which queries share influential documents", blocks };
}
