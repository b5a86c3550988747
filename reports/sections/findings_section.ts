import type { Section } from "../render/mod.ts";
import { VERDICT_RULE } from "../findings/compare_groups.ts";
import { type FindingRow, formatInterval, formatTest } from "../findings/findings_table.ts";

/**
 * The findings table that opens the report: per claim of the paper, its figures for 7B and 35B, the
 * measured A and B (mean and bootstrap interval) with the test for each setup, and the verdicts.
 *
 * @param rows The findings table rows.
 * @param setups Setup names in report order (table columns).
 * @returns The section.
 */
export function findingsSection(rows: FindingRow[], setups: string[]): Section {
  function order(key: string): number {
    const i = setups.indexOf(key);
    return i >= 0 ? i : setups.length;
  }
  return {
    id: "findings",
    title: "Findings",
    blocks: [
      { kind: "paragraph", text: VERDICT_RULE },
      {
        kind: "table",
        caption:
          "Each claim of the paper (SCIENCE.md) with its figure, and what each proxy shows: A and B as " +
          "mean [95% bootstrap interval], the test and the verdict; the overall verdict is on the claim's first " +
          "row. F1x and F2m compare the two setups.",
        columns: [
          { label: "finding", align: "left" },
          { label: "claim: A exceeds B", align: "left" },
          { label: "setup", align: "left" },
          { label: "paper", align: "left" },
          { label: "A", align: "left" },
          { label: "B", align: "left" },
          { label: "test", align: "left" },
          { label: "verdict", align: "left" },
        ],
        rows: rows.flatMap((r) =>
          Object.keys(r.measured).sort((a, b) => order(a) - order(b)).map((k, i) => {
            const c = r.measured[k];
            return [
              i === 0 ? `${r.id}: ${r.verdict}` : "",
              i === 0 ? `${r.claim}. A: ${r.a}; B: ${r.b}.` : "",
              k,
              r.paper[k] ?? Object.values(r.paper).join("; "),
              formatInterval(c.a),
              formatInterval(c.b),
              formatTest(c),
              c.verdict,
            ];
          })
        ),
      },
    ],
  };
}
