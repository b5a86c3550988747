import type { MeanInterval } from "../analyses/bootstrap_mean.ts";
import { formatNumber } from "../render/format_number.ts";
import type { Finding } from "../render/report_json_schema.ts";
import type { GroupComparison, Verdict } from "./compare_groups.ts";
import type { Findings } from "./compute_findings.ts";

/** One row of the findings table: a claim of the paper, measured on every setup. */
export interface FindingRow {
  id: string;
  /** The claim, stated as "A exceeds B". */
  claim: string;
  /** What A and B are. */
  a: string;
  b: string;
  /** The paper's figure per setup name ("7B", "35B"). */
  paper: Record<string, string>;
  /** Per measured setup (or setup pair): the comparison behind the verdict. */
  measured: Record<string, GroupComparison>;
  /** Overall: reproduced (every setup), partial (some), not-reproduced (none, all contradicted), inconclusive. */
  verdict: Finding["verdict"];
}

const PAPER = {
  F1: {
    "7B": "slopes pairs r ≈ 0.89 (max 0.96, arithmetic); factual pairs 0.06",
    "35B": "factual pairs 0.03; linear equations 0.16",
  },
  F1x: { "7B": "same prompt 7B vs 35B: mean r 0.02, max 0.19", "35B": "(same comparison)" },
  F2: {
    "7B": "total positive per-nat influence: factual 0.039 vs reasoning 0.019",
    "35B": "factual 0.071 vs reasoning 0.032",
  },
  F2a: { "7B": "α: reasoning −0.36 vs factual −0.32 to −0.34", "35B": "(same, both models)" },
  F2m: {
    "7B": "35B/7B top-score multiplier: factual 1.9 (81% > 1) vs reasoning 1.3 (54%)",
    "35B": "(same comparison)",
  },
  F3: { "7B": "answer in top 500: factual 55%, reasoning 7%", "35B": "factual 30%, reasoning 0%" },
  F4: { "7B": "slope procedure in top 100 for 16/20 queries", "35B": "20/20" },
  F5r: { "7B": "reasoning: math and code over-represented (≈ 50-62× at k = 50 for math)", "35B": "(same)" },
  F5f: { "7B": "factual: wiki and trivia over-represented, code under-represented", "35B": "(same)" },
};

function overall(verdicts: Verdict[]): Finding["verdict"] {
  if (verdicts.length === 0) return "inconclusive";
  if (verdicts.every((v) => v === "reproduced")) return "reproduced";
  if (verdicts.some((v) => v === "reproduced")) return "partial";
  if (verdicts.every((v) => v === "not-reproduced")) return "not-reproduced";
  return "inconclusive";
}

/**
 * The findings table: one row per claim of SCIENCE.md, with the paper's figures, the measured
 * comparison per setup and the verdicts.
 *
 * @param findings The measured findings.
 * @returns The rows, in the order F1 … F5.
 */
export function findingRows(findings: Findings): FindingRow[] {
  const per = (pick: (s: Findings["setups"][number]) => GroupComparison) =>
    Object.fromEntries(findings.setups.map((s) => [s.setup, pick(s)]));
  const rows: Omit<FindingRow, "verdict">[] = [
    {
      id: "F1",
      claim: "Same-task reasoning queries share influential documents more than factual queries do",
      a: "mean r of query pairs within a reasoning set",
      b: "mean r of factual query pairs",
      paper: PAPER.F1,
      measured: per((s) => s.f1.comparison),
    },
  ];
  const cross = findings.cross;
  if (cross) {
    const large = findings.setups.find((s) => s.setup === cross.large)!;
    const within = large.f1.comparison.a;
    rows.push({
      id: "F1x",
      claim: "A prompt's influential documents differ between the two models (little transfer)",
      a: `mean r within reasoning sets (${cross.large})`,
      b: `mean r of the same prompt, ${cross.small} vs ${cross.large}`,
      paper: PAPER.F1x,
      measured: {
        [`${cross.small}→${cross.large}`]: {
          a: within,
          b: cross.samePromptMean,
          test: {
            name: "interval separation",
            statistic: within.mean - cross.samePromptMean.mean,
            pValue: null,
          },
          verdict: Number.isNaN(within.low) || Number.isNaN(cross.samePromptMean.high)
            ? "inconclusive"
            : within.low > cross.samePromptMean.high
            ? "reproduced"
            : within.high < cross.samePromptMean.low
            ? "not-reproduced"
            : "inconclusive",
        },
      },
    });
  }
  rows.push(
    {
      id: "F2",
      claim: "Factual recall draws more total positive influence per nat than reasoning",
      a: "Σ positive per-nat scores, factual queries",
      b: "the same, reasoning queries",
      paper: PAPER.F2,
      measured: per((s) => s.f2.totals),
    },
    {
      id: "F2a",
      claim: "Reasoning's rank-size power law is steeper (α more negative) than factual recall's",
      a: "power-law α of factual queries",
      b: "α of reasoning queries",
      paper: PAPER.F2a,
      measured: per((s) => s.f2.alpha),
    },
  );
  if (cross) {
    rows.push({
      id: "F2m",
      claim:
        `The larger model multiplies factual top scores more than reasoning ones (${cross.large}/${cross.small})`,
      a: "mean top-k multiplier, factual prompts",
      b: "the same, reasoning prompts",
      paper: PAPER.F2m,
      measured: { [`${cross.small}→${cross.large}`]: cross.multiplierComparison },
    });
  }
  rows.push(
    {
      id: "F3",
      claim: "The answer appears in the top documents for factual queries, almost never for reasoning",
      a: "share of factual queries with the fact in a top-k document (ground truth)",
      b: "share of reasoning queries with every step's answer in the top k (ground truth)",
      paper: PAPER.F3,
      measured: per((s) => s.f3.truth),
    },
    {
      id: "F4",
      claim: "A reasoning query's top documents demonstrate its procedure more than the corpus base rate",
      a: "share of top-k documents demonstrating the query's procedure ÷ base rate",
      b: "1 (the base rate)",
      paper: PAPER.F4,
      measured: per((s) => s.f4.comparison),
    },
    {
      id: "F5r",
      claim: "Code and math documents are over-represented among reasoning queries' top documents",
      a: "(code + math) share of the top k ÷ corpus share, smallest k",
      b: "1",
      paper: PAPER.F5r,
      measured: per((s) => s.f5.reasoning),
    },
    {
      id: "F5f",
      claim: "Wiki and trivia documents are over-represented among factual queries' top documents",
      a: "(wiki + trivia) share of the top k ÷ corpus share, smallest k",
      b: "1",
      paper: PAPER.F5f,
      measured: per((s) => s.f5.factual),
    },
  );
  return rows.map((r) => ({ ...r, verdict: overall(Object.values(r.measured).map((m) => m.verdict)) }));
}

/** A mean with its interval, e.g. `0.123 [0.101, 0.145]`. */
export function formatInterval(m: MeanInterval): string {
  const f = (v: number) => formatNumber(v, { style: "significant", digits: 3 });
  return Number.isNaN(m.low) ? `${f(m.mean)} (n = ${m.n})` : `${f(m.mean)} [${f(m.low)}, ${f(m.high)}]`;
}

/** The test behind a comparison, e.g. `Welch t = 3.2, p = 0.004`. */
export function formatTest(c: GroupComparison): string {
  const t = formatNumber(c.test.statistic, { style: "significant", digits: 3 });
  const p = c.test.pValue === null
    ? "p n/a"
    : `p = ${formatNumber(c.test.pValue, { style: "significant", digits: 2 })}`;
  return `${c.test.name} = ${t}, ${p}`;
}

/**
 * The `findings` entries of report.json: per row, the paper's figures, the measured A and B means with
 * intervals per setup, the tests, the per-setup verdicts and the overall verdict.
 *
 * @param rows The findings table.
 * @returns One entry per row.
 */
export function findingsJson(rows: FindingRow[]): Finding[] {
  return rows.map((r) => {
    const measured = Object.fromEntries(
      Object.entries(r.measured).map(([setup, c]) => [setup, {
        a: c.a.mean,
        aLow: c.a.low,
        aHigh: c.a.high,
        b: c.b.mean,
        bLow: c.b.low,
        bHigh: c.b.high,
        statistic: Number.isFinite(c.test.statistic) ? c.test.statistic : null,
        pValue: c.test.pValue,
      }]),
    );
    const first = Object.values(r.measured)[0];
    return {
      id: r.id,
      claim: r.claim,
      a: r.a,
      b: r.b,
      paperFigure: r.paper,
      measured: Object.fromEntries(
        Object.entries(measured).map((
          [k, v],
        ) => [k, Object.fromEntries(Object.entries(v).map(([x, y]) => [x, finiteOrNull(y)]))]),
      ),
      statistic: first
        ? {
          name: first.test.name,
          value: finiteOrNull(first.test.statistic),
          pValue: first.test.pValue,
          perSetup: true,
        }
        : null,
      verdicts: Object.fromEntries(Object.entries(r.measured).map(([k, c]) => [k, c.verdict])),
      verdict: r.verdict,
    };
  });
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
