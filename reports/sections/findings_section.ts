import type { Block, Section } from "../render/mod.ts";
import { VERDICT_RULE } from "../findings/compare_groups.ts";
import type { ControlName, SetupFindings } from "../findings/compute_findings.ts";
import {
  type FindingRow,
  formatEffect,
  formatInterval,
  formatTest,
  type MeasuredComparison,
} from "../findings/findings_table.ts";

/**
 * The findings table that opens the report: per claim of the paper, its figures for 7B and 35B, the
 * measured A and B (mean and bootstrap interval over queries) with the test and the effect size for each
 * setup, and the verdicts; then the applicability gates per setup and query set, and the findings measured
 * on the controls.
 *
 * @param rows The findings table rows.
 * @param setups Setup names in report order (table columns).
 * @param measured The setups' findings, for their gates and factual draws (left out: no gates table).
 * @returns The section.
 */
export function findingsSection(
  rows: FindingRow[],
  setups: string[],
  measured: readonly Pick<SetupFindings, "setup" | "gates" | "factualDraw">[] = [],
): Section {
  function order(key: string): number {
    const i = setups.indexOf(key);
    return i >= 0 ? i : setups.length;
  }
  const blocks: Block[] = [
    { kind: "paragraph", text: VERDICT_RULE },
    {
      kind: "table",
      caption:
        "Each claim of the paper (docs/method.md) with its figure, and what each proxy shows: A and B as " +
        "mean [95% bootstrap interval over queries], the test, the effect (Δ = A − B with its 95% bootstrap " +
        "interval over queries, Cohen's d) and the verdict; the overall verdict is on the claim's first row. " +
        "A setup that fails a gate on a query set the finding uses is not applicable (the reason follows " +
        "its verdict; the test alone is in brackets). F1x and F2m compare the two setups.",
      columns: [
        { label: "finding", align: "left" },
        { label: "claim: A exceeds B", align: "left" },
        { label: "setup", align: "left" },
        { label: "paper", align: "left" },
        { label: "A", align: "left" },
        { label: "B", align: "left" },
        { label: "test", align: "left" },
        { label: "effect", align: "left" },
        { label: "verdict", align: "left" },
      ],
      rows: rows.flatMap((r) =>
        Object.keys(r.measured).sort((a, b) => order(a) - order(b)).map((k, i) => {
          const c = r.measured[k];
          const verdict = c.available === false
            ? `not available on this corpus: ${c.reason}`
            : c.applicable
            ? c.verdict
            : `not applicable: ${c.reason} (the test alone: ${c.testVerdict})`;
          return [
            i === 0 ? `${r.id}: ${r.verdictText}` : "",
            i === 0 ? `${r.claim}. A: ${r.a}; B: ${r.b}.` : "",
            k,
            r.paper[k] ?? Object.values(r.paper).join("; "),
            formatInterval(c.a),
            formatInterval(c.b),
            formatTest(c),
            formatEffect(c),
            c.note ? `${verdict}. ${c.note}` : verdict,
          ];
        })
      ),
    },
  ];
  const gated = measured.filter((s) => s.gates && Object.keys(s.gates).length > 0);
  if (gated.length > 0) {
    const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(100 * v)}%` : "n/a");
    blocks.push({
      kind: "table",
      caption:
        "Applicability gates per setup and query set: greedy accuracy (gated for reasoning sets; the " +
        "factual side is a draw of right and wrong answers) and distinct completions among the queries the " +
        "findings use. A set that fails makes its setup not applicable to every finding that uses it.",
      columns: [
        { label: "setup", align: "left" },
        { label: "set", align: "left" },
        { label: "answered right", align: "left" },
        { label: "distinct completions", align: "left" },
        { label: "applicable", align: "left" },
      ],
      rows: gated.flatMap((s) =>
        Object.entries(s.gates).map(([set, g]) => [
          s.setup,
          set,
          `${g.correct}/${g.completions} (${pct(g.accuracy)})${g.accuracyGated ? "" : ", not gated"}`,
          `${g.distinct}/${g.scored} (${pct(g.distinctShare)})`,
          g.applicable ? "yes" : `no — ${g.reason}`,
        ])
      ),
    });
    const draws = gated.flatMap((s) => (s.factualDraw ? [`${s.setup}: ${s.factualDraw.note}.`] : []));
    if (draws.length > 0) blocks.push({ kind: "paragraph", text: `Factual draw — ${draws.join(" ")}` });
  }
  blocks.push(...controlsTable(rows, order));
  return { id: "findings", title: "Findings", blocks };
}

/** The findings measured on each control beside influence, or nothing when the run has no controls. */
function controlsTable(rows: FindingRow[], order: (setup: string) => number): Block[] {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.controls ?? {})))] as ControlName[];
  if (names.length === 0) return [];
  // A setup that fails a gate shows what the test alone says, so the controls can be read regardless.
  const cell = (c: MeasuredComparison | undefined) =>
    c === undefined
      ? "–"
      : c.available === false
      ? "not available"
      : `${c.applicable ? c.verdict : `not applicable (the test alone: ${c.testVerdict})`}, d ${
        Number.isFinite(c.effect.d) ? c.effect.d.toFixed(2) : "n/a"
      }`;
  return [{
    kind: "table",
    caption:
      "Controls, measured with the same queries, documents, tests and gates as influence: identity — " +
      "the trained model's plain gradient dot product (influence without the curvature); lexical — BM25 " +
      "between the query's prompt + completion and each document (surface overlap); untrained — the " +
      "gradient dot product of the same architecture at its random initialisation (nothing learnt). Each " +
      "cell: the verdict (for a setup that fails a gate, what the test alone says) and Cohen's d. A finding " +
      "that the lexical or untrained control reproduces with d at " +
      "least influence's is flagged: it is then no evidence of what the model learnt.",
    columns: [
      { label: "finding", align: "left" },
      { label: "setup", align: "left" },
      { label: "influence", align: "left" },
      ...names.map((n) => ({ label: n, align: "left" as const })),
      { label: "explained by", align: "left" },
    ],
    rows: rows.flatMap((r) =>
      Object.keys(r.measured).sort((a, b) => order(a) - order(b)).map((setup, i) => [
        i === 0 ? r.id : "",
        setup,
        cell(r.measured[setup]),
        ...names.map((n) => cell(r.controls?.[n]?.measured[setup])),
        (r.explainedBy?.[setup] ?? []).join(", ") || "none",
      ])
    ),
  }];
}
