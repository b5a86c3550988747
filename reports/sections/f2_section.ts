import type { Block, Section } from "../render/mod.ts";
import type { Findings } from "../findings/compute_findings.ts";
import { formatEffect, formatInterval, formatTest } from "../findings/findings_table.ts";
import { availabilityNote } from "./availability_note.ts";

/**
 * F2: cumulative positive per-nat influence of the top p% documents per group (absolute and as a share
 * of each query's total, mean with a 95% band), power-law slopes, and the cross-setup multiplier.
 *
 * @param findings The measured findings.
 * @returns The section.
 */
export function f2Section(findings: Findings): Section {
  const points = findings.setups.flatMap((s) =>
    Object.entries(s.f2.curves).flatMap(([group, c]) =>
      c.n === 0 ? [] : s.f2.percents.flatMap((p, i) => [
        { setup: s.setup, group, p, view: "absolute (per nat)", ...band(c.absolute[i]) },
        { setup: s.setup, group, p, view: "share of the query's total", ...band(c.share[i]) },
      ])
    )
  );
  const blocks: Block[] = [
    ...availabilityNote(findings, ["F2", "F2a", "F2m"]),
    {
      kind: "paragraph",
      text:
        "Per query, positive per-nat scores sorted; the sum of the top p% of a query's positive documents. " +
        "The paper: factual recall draws more total influence, more volatile across queries; reasoning's " +
        "relative curve is steeper in the larger model.",
    },
    {
      kind: "chart",
      id: "f2-cumulative",
      title: "Cumulative positive influence of the top p% documents",
      caption: "Mean over the group's queries with a 95% bootstrap band; x on a log scale.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: points },
        facet: {
          row: { field: "view", type: "nominal", title: null },
          column: { field: "setup", type: "nominal", title: null },
        },
        resolve: { scale: { y: "independent" } },
        spec: {
          width: 240,
          height: 160,
          layer: [
            {
              mark: { type: "area", opacity: 0.25 },
              encoding: {
                x: {
                  field: "p",
                  type: "quantitative",
                  scale: { type: "log" },
                  title: "top p% of positive documents",
                },
                y: { field: "low", type: "quantitative", title: null },
                y2: { field: "high" },
                color: { field: "group", type: "nominal" },
              },
            },
            {
              mark: { type: "line", point: true },
              encoding: {
                x: { field: "p", type: "quantitative", scale: { type: "log" } },
                y: { field: "mean", type: "quantitative" },
                color: { field: "group", type: "nominal" },
              },
            },
          ],
        },
      },
    },
    {
      kind: "table",
      caption:
        "Totals (p = 100) and power-law slopes α of log score vs log rank (top N positive documents), " +
        "mean [95% interval over queries]; tests compare factual with reasoning queries, and the effect is " +
        "Δ = factual − reasoning with its 95% bootstrap interval over queries and Cohen's d.",
      columns: [
        { label: "setup", align: "left" },
        { label: "total, factual", align: "left" },
        { label: "total, reasoning", align: "left" },
        { label: "test", align: "left" },
        { label: "effect", align: "left" },
        { label: "α factual", align: "left" },
        { label: "α reasoning", align: "left" },
        { label: "test", align: "left" },
        { label: "effect", align: "left" },
      ],
      rows: findings.setups.map((s) => [
        s.setup,
        formatInterval(s.f2.totals.a),
        formatInterval(s.f2.totals.b),
        formatTest(s.f2.totals),
        formatEffect(s.f2.totals),
        formatInterval(s.f2.alpha.a),
        formatInterval(s.f2.alpha.b),
        formatTest(s.f2.alpha),
        formatEffect(s.f2.alpha),
      ]),
    },
  ];
  const c = findings.cross;
  if (c) {
    const share = (g: string) => {
      const q = c.multiplier.perQuery.filter((x) => x.group === g && Number.isFinite(x.meanRatio));
      return q.length === 0 ? NaN : q.filter((x) => x.meanRatio > 1).length / q.length;
    };
    blocks.push({
      kind: "paragraph",
      text:
        `${c.large}/${c.small} multiplier of the top ${c.multiplier.k} per-nat scores, rank by rank: factual ` +
        `${formatInterval(c.multiplierComparison.a)} (${
          pct(share("factual"))
        } of prompts above 1), reasoning ` +
        `${formatInterval(c.multiplierComparison.b)} (${pct(share("reasoning"))}); ${
          formatTest(c.multiplierComparison)
        }; ${formatEffect(c.multiplierComparison)}. ` +
        "Paper: factual 1.9 (81%), reasoning 1.3 (54%).",
    });
  }
  return { id: "f2", title: "F2 — How much each query relies on its top documents", blocks };
}

function band(m: { mean: number; low: number; high: number }) {
  const r = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(5)) : null);
  return { mean: r(m.mean), low: r(m.low), high: r(m.high) };
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${Math.round(100 * v)}%` : "n/a";
}
