import type { MeanInterval } from "../analyses/bootstrap_mean.ts";
import { formatNumber } from "../render/format_number.ts";
import type { Finding } from "../render/report_json_schema.ts";
import type { GroupComparison, Verdict } from "./compare_groups.ts";
import { type ControlName, CONTROLS, type Findings, type SetupFindings } from "./compute_findings.ts";
import { F5_SOURCES, groupOf, type SourceGroups } from "./findings_input.ts";
import type { Availability, FindingId } from "./availability.ts";

/** One finding's reason (not available) and note (part left out) from an availability record. */
function availabilityOf(
  a: Availability | undefined,
  id: FindingId,
): { unavailable: string | undefined; note: string | undefined } | undefined {
  return a === undefined ? undefined : { unavailable: a.unavailable[id], note: a.notes[id] };
}

/**
 * A setup's verdict on a finding: its test's; not applicable when the setup fails a gate; not available
 * when a corpus of one's own lacks what the finding needs (`reason` says what).
 */
export type SetupVerdict = Verdict | "not-applicable" | "not-available";

/** A finding measured on one setup (or setup pair), with the gates applied. */
export interface MeasuredComparison extends Omit<GroupComparison, "verdict"> {
  /**
   * `testVerdict`; `not-available` when the finding cannot run on this corpus; `not-applicable` when the
   * setup fails a gate on a query set the finding uses.
   */
  verdict: SetupVerdict;
  /** Whether the corpus allows the finding (false: verdict `not-available`, `reason` says why). */
  available: boolean;
  /** What the test alone says. */
  testVerdict: Verdict;
  /** Whether every query set the finding uses passes the setup's gates. */
  applicable: boolean;
  /** Why not available, or why not applicable (the failing sets' reasons), or null. */
  reason: string | null;
  /** What the reader should know beside the verdict (a factual draw other than the paper's), or null. */
  note: string | null;
}

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
  measured: Record<string, MeasuredComparison>;
  /**
   * Overall, over the applicable setups: reproduced (every one), partial (some), not-reproduced (every one
   * contradicted), inconclusive; not-applicable when no setup is.
   */
  verdict: Finding["verdict"];
  /** The overall verdict naming the setups left out, e.g. "reproduced (35B only; 7B not applicable)". */
  verdictText: string;
  /** The same finding measured on each control's scores (absent when the run has no controls). */
  controls?: Partial<Record<ControlName, { measured: Record<string, MeasuredComparison> }>>;
  /**
   * Per setup where influence reproduces the finding: the trivial-explanation controls (lexical overlap,
   * the untrained architecture) that reproduce it as strongly (Cohen's d at least influence's). Empty
   * when none does or the run has no controls.
   */
  explainedBy?: Record<string, ControlName[]>;
}

/** Controls that, reproducing a finding as strongly as influence, explain it away. */
export const EXPLAINING_CONTROLS: readonly ControlName[] = ["lexical", "untrained"];

/** What each explaining control stands for, in verdict texts. */
const EXPLANATION: Record<ControlName, string> = {
  identity: "the plain gradient dot product",
  lexical: "surface overlap (BM25)",
  untrained: "the untrained architecture",
};

/**
 * The findings table with the controls: each row gains its controls' measurements, the explaining
 * controls per setup (a lexical or untrained control reproducing the finding with Cohen's d at least
 * influence's), and a verdict text that says so, e.g. "reproduced; as strongly by surface overlap (BM25)
 * for 35B: not evidence of what the model learnt".
 *
 * @param findings The measured findings, with `controls`.
 * @returns The rows.
 */
export function findingRowsWithControls(findings: Findings): FindingRow[] {
  const rows = findingRows(findings);
  const controls = findings.controls ?? {};
  const controlRows = Object.fromEntries(
    CONTROLS.filter((c) => controls[c]).map((c) => [c, findingRows(controls[c]!)]),
  ) as Partial<Record<ControlName, FindingRow[]>>;
  if (Object.keys(controlRows).length === 0) return rows;
  return rows.map((row) => {
    const perControl: NonNullable<FindingRow["controls"]> = {};
    for (const [c, list] of Object.entries(controlRows) as [ControlName, FindingRow[]][]) {
      const match = list.find((r) => r.id === row.id);
      if (match) perControl[c] = { measured: match.measured };
    }
    const explainedBy: Record<string, ControlName[]> = {};
    for (const [setup, m] of Object.entries(row.measured)) {
      explainedBy[setup] = m.verdict !== "reproduced" ? [] : EXPLAINING_CONTROLS.filter((c) => {
        const cm = perControl[c]?.measured[setup];
        return cm !== undefined && cm.verdict === "reproduced" && cm.effect.d >= m.effect.d;
      });
    }
    const flagged = Object.entries(explainedBy).filter(([, list]) => list.length > 0);
    const verdictText = flagged.length === 0
      ? row.verdictText
      : `${row.verdictText}; as strongly by ${
        flagged.map(([setup, list]) => `${list.map((c) => EXPLANATION[c]).join(" and ")} for ${setup}`).join(
          ", ",
        )
      }: not evidence of what the model learnt`;
    return { ...row, controls: perControl, explainedBy, verdictText };
  });
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

function overallOf(verdicts: Verdict[]): Finding["verdict"] {
  if (verdicts.length === 0) return "inconclusive";
  if (verdicts.every((v) => v === "reproduced")) return "reproduced";
  if (verdicts.some((v) => v === "reproduced")) return "partial";
  if (verdicts.every((v) => v === "not-reproduced")) return "not-reproduced";
  return "inconclusive";
}

/**
 * The overall verdict over the applicable setups, and its text naming those left out.
 *
 * @param measured The row's per-setup comparisons.
 * @returns The verdict and its text.
 */
export function overallVerdict(
  measured: Record<string, MeasuredComparison>,
): { verdict: Finding["verdict"]; text: string } {
  const all = Object.entries(measured);
  // Setups where the corpus does not allow the finding are left out first, then those failing a gate.
  const absent = all.filter(([, m]) => m.available === false);
  const entries = all.filter(([, m]) => m.available !== false);
  if (all.length > 0 && entries.length === 0) {
    const reasons = [...new Set(absent.map(([, m]) => m.reason))];
    return {
      verdict: "not-available",
      text: `not-available: ${
        reasons.length === 1 ? reasons[0] : absent.map(([k, m]) => `${k}: ${m.reason}`).join("; ")
      }`,
    };
  }
  const unavailable = absent.length === 0
    ? ""
    : `; ${absent.map(([k, m]) => `${k} not available: ${m.reason}`).join("; ")}`;
  const used = entries.filter(([, m]) => m.applicable), left = entries.filter(([, m]) => !m.applicable);
  if (entries.length > 0 && used.length === 0) {
    return {
      verdict: "not-applicable",
      text: `not-applicable (${left.map(([k]) => k).join(", ")}${unavailable})`,
    };
  }
  const verdict = overallOf(used.map(([, m]) => m.verdict as Verdict));
  if (left.length === 0 && absent.length === 0) return { verdict, text: verdict };
  if (left.length === 0) {
    return {
      verdict,
      text: `${verdict} (${used.map(([k]) => k).join(", ")} only${unavailable})`,
    };
  }
  return {
    verdict,
    text: `${verdict} (${used.map(([k]) => k).join(", ")} only; ${
      left.map(([k]) => k).join(", ")
    } not applicable${unavailable})`,
  };
}

/** Which query groups a finding uses: the factual set, the reasoning sets, or both. */
interface Uses {
  factual: boolean;
  reasoning: boolean;
}

/**
 * A comparison with the setups' gates applied: not applicable when a query set of a group the finding
 * uses fails one (reasons prefixed with the setup's name when several setups are involved).
 */
function gated(
  c: GroupComparison,
  setups: SetupFindings[],
  uses: Uses,
  availability?: { unavailable: string | undefined; note: string | undefined },
): MeasuredComparison {
  const reasons: string[] = [], notes: string[] = [];
  if (availability?.note !== undefined) notes.push(availability.note);
  for (const s of setups) {
    const prefix = setups.length > 1 ? `${s.setup}: ` : "";
    for (const [set, gate] of Object.entries(s.gates ?? {})) {
      const group = groupOf(set, s.groups);
      const used = (group === "factual" && uses.factual) || (group === "reasoning" && uses.reasoning);
      if (used && !gate.applicable) reasons.push(prefix + gate.reason);
    }
    if (uses.factual && s.factualDraw && !s.factualDraw.paperDraw) notes.push(prefix + s.factualDraw.note);
  }
  const applicable = reasons.length === 0;
  const unavailable = availability?.unavailable;
  return {
    ...c,
    verdict: unavailable !== undefined ? "not-available" : applicable ? c.verdict : "not-applicable",
    testVerdict: c.verdict,
    available: unavailable === undefined,
    applicable,
    reason: unavailable ?? (applicable ? null : reasons.join("; ")),
    note: notes.length === 0 ? null : notes.join("; "),
  };
}

/**
 * The findings table: one row per claim of docs/method.md, with the paper's figures, the measured
 * comparison per setup and the verdicts.
 *
 * @param findings The measured findings.
 * @returns The rows, in the order F1 … F5.
 */
export function findingRows(findings: Findings): FindingRow[] {
  const both: Uses = { factual: true, reasoning: true };
  const per = (id: FindingId, pick: (s: SetupFindings) => GroupComparison, uses: Uses = both) =>
    Object.fromEntries(
      findings.setups.map((s) => [s.setup, gated(pick(s), [s], uses, availabilityOf(s.availability, id))]),
    );
  const crossOf = (id: FindingId) => availabilityOf(findings.crossAvailability, id);
  // A corpus of one's own has no ground truth: F3 searches the answers' text.
  const byText = findings.setups.some((s) => s.f3.basis === "text");
  // The sources F5 compares: the corpus's own groups when the manifest names them.
  const sources: SourceGroups = findings.setups[0]?.f5.sources ?? F5_SOURCES;
  const reasoning = sourceGroupLabel(sources.reasoning), factual = sourceGroupLabel(sources.factual);
  const rows: Omit<FindingRow, "verdict" | "verdictText">[] = [
    {
      id: "F1",
      claim: "Same-task reasoning queries share influential documents more than factual queries do",
      a: "per reasoning query: mean r with the other queries of its set",
      b: "per factual query: mean r with the other factual queries",
      paper: PAPER.F1,
      measured: per("F1", (s) => s.f1.comparison),
    },
  ];
  const cross = findings.cross;
  const pair = cross ? findings.setups.filter((s) => s.setup === cross.small || s.setup === cross.large) : [];
  if (cross) {
    rows.push({
      id: "F1x",
      claim: "A prompt's influential documents differ between the two models (little transfer)",
      a: `per reasoning query of ${cross.large}: mean r with the other queries of its set`,
      b: `per shared prompt: r of its scores under ${cross.small} and ${cross.large}`,
      paper: PAPER.F1x,
      measured: { [`${cross.small}→${cross.large}`]: gated(cross.transfer, pair, both, crossOf("F1x")) },
    });
  }
  rows.push(
    {
      id: "F2",
      claim: "Factual recall draws more total positive influence per nat than reasoning",
      a: "Σ positive per-nat scores, factual queries",
      b: "the same, reasoning queries",
      paper: PAPER.F2,
      measured: per("F2", (s) => s.f2.totals),
    },
    {
      id: "F2a",
      claim: "Reasoning's rank-size power law is steeper (α more negative) than factual recall's",
      a: "power-law α of factual queries",
      b: "α of reasoning queries",
      paper: PAPER.F2a,
      measured: per("F2a", (s) => s.f2.alpha),
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
      measured: {
        [`${cross.small}→${cross.large}`]: gated(cross.multiplierComparison, pair, both, crossOf("F2m")),
      },
    });
  }
  rows.push(
    {
      id: "F3",
      claim: "The answer appears in the top documents for factual queries, almost never for reasoning",
      a: byText
        ? "per factual query answered right: its answer's text in a top-k document (text search, 1/0; no " +
          "ground truth on this corpus) minus its chance in k random documents"
        : "per factual query answered right whose fact a scored document states: the fact in a top-k " +
          "document (ground truth, 1/0) minus its chance in k random documents",
      b: byText
        ? "per reasoning query: its answer (and the numbers of a given completion) in the top k by text " +
          "search (1/0) minus its chance"
        : "per reasoning query: every step's answer in the top k (ground truth, 1/0) minus its chance",
      paper: PAPER.F3,
      measured: per("F3", (s) => s.f3.truth),
    },
    {
      id: "F4",
      claim:
        "A reasoning query's top documents demonstrate its procedure more than documents of their sources do",
      a: "share of the query's top-k documents demonstrating its procedure",
      b: "the share expected from those documents' sources (the procedure's rate within each one's source)",
      paper: PAPER.F4,
      measured: per("F4", (s) => s.f4.stratified, { factual: false, reasoning: true }),
    },
    {
      id: "F5r",
      claim: sources === F5_SOURCES
        ? "Code and math documents are over-represented among reasoning queries' top documents"
        : `Documents of ${reasoning} are over-represented among reasoning queries' top documents`,
      a: `(${reasoning}) share of the query's top k, smallest k`,
      b: `the share expected from those documents' content (${reasoning} rate among documents ` +
        "demonstrating the same procedures, or stating a fact, or neither)",
      paper: PAPER.F5r,
      measured: per("F5r", (s) => s.f5.reasoningStratified, { factual: false, reasoning: true }),
    },
    {
      id: "F5f",
      claim: sources === F5_SOURCES
        ? "Wiki and trivia documents are over-represented among factual queries' top documents"
        : `Documents of ${factual} are over-represented among factual queries' top documents`,
      a: `(${factual}) share of the query's top k, smallest k`,
      b: `the share expected from those documents' content (${factual} rate among documents with the ` +
        "same content)",
      paper: PAPER.F5f,
      measured: per("F5f", (s) => s.f5.factualStratified, { factual: true, reasoning: false }),
    },
  );
  return rows.map((r) => {
    const o = overallVerdict(r.measured);
    return { ...r, verdict: o.verdict, verdictText: o.text };
  });
}

/** A mean with its interval, e.g. `0.123 [0.101, 0.145]`. */
export function formatInterval(m: MeanInterval): string {
  const f = (v: number) => formatNumber(v, { style: "significant", digits: 3 });
  return Number.isNaN(m.low) ? `${f(m.mean)} (n = ${m.n})` : `${f(m.mean)} [${f(m.low)}, ${f(m.high)}]`;
}

/** The test behind a comparison, e.g. `permutation (Welch t) = 3.2, p = 0.004`. */
export function formatTest(c: Pick<GroupComparison, "test">): string {
  const t = formatNumber(c.test.statistic, { style: "significant", digits: 3 });
  const p = c.test.pValue === null
    ? "p n/a"
    : `p = ${formatNumber(c.test.pValue, { style: "significant", digits: 2 })}`;
  return `${c.test.name} = ${t}, ${p}`;
}

/** The effect beside the test, e.g. `Δ = 0.12 [0.05, 0.19], d = 1.3`. */
export function formatEffect(c: Pick<GroupComparison, "effect">): string {
  const f = (v: number) => formatNumber(v, { style: "significant", digits: 3 });
  const { difference: diff, d } = c.effect;
  const interval = Number.isNaN(diff.low) ? "" : ` [${f(diff.low)}, ${f(diff.high)}]`;
  const size = Number.isNaN(d) ? "d n/a" : Number.isFinite(d) ? `d = ${f(d)}` : `d = ${d > 0 ? "+" : "−"}∞`;
  return `Δ = ${f(diff.mean)}${interval}, ${size}`;
}

/**
 * The `findings` entries of report.json: per row, the paper's figures, per setup the measured A and B
 * means with intervals and counts, the test (statistic, p-value, draws), the effect (difference with
 * its interval, Cohen's d) and the gates (`applicable`, and `reason` when not; `note`), the per-setup
 * verdicts (`not-applicable` for a setup that fails a gate) and the overall verdict with its text.
 *
 * @param rows The findings table.
 * @returns One entry per row.
 */
export function findingsJson(rows: FindingRow[]): Finding[] {
  return rows.map((r) => {
    const first = Object.values(r.measured)[0];
    const verdicts = (m: Record<string, MeasuredComparison>) =>
      Object.fromEntries(Object.entries(m).map(([k, c]) => [k, c.verdict]));
    return {
      id: r.id,
      claim: r.claim,
      a: r.a,
      b: r.b,
      paperFigure: r.paper,
      measured: measuredJson(r.measured),
      statistic: first
        ? {
          name: first.test.name,
          value: finiteOrNull(first.test.statistic),
          pValue: first.test.pValue,
          perSetup: true,
        }
        : null,
      verdicts: verdicts(r.measured),
      verdict: r.verdict,
      verdictText: r.verdictText,
      ...(r.controls
        ? {
          controls: Object.fromEntries(
            Object.entries(r.controls).map((
              [c, v],
            ) => [c, { measured: measuredJson(v.measured), verdicts: verdicts(v.measured) }]),
          ),
          explainedBy: r.explainedBy ?? {},
        }
        : {}),
    };
  });
}

/** report.json's `measured`: per setup, the comparison's numbers (non-finite as null) and applicability. */
function measuredJson(measured: Record<string, MeasuredComparison>): Finding["measured"] {
  return Object.fromEntries(
    Object.entries(measured).map(([setup, c]) => {
      const numbers = Object.fromEntries(
        Object.entries({
          a: c.a.mean,
          aLow: c.a.low,
          aHigh: c.a.high,
          aN: c.a.n,
          b: c.b.mean,
          bLow: c.b.low,
          bHigh: c.b.high,
          bN: c.b.n,
          statistic: c.test.statistic,
          pValue: c.test.pValue,
          draws: c.test.draws ?? null,
          difference: c.effect.difference.mean,
          differenceLow: c.effect.difference.low,
          differenceHigh: c.effect.difference.high,
          cohensD: c.effect.d,
        }).map(([k, v]) => [k, finiteOrNull(v)]),
      );
      return [setup, {
        ...numbers,
        // Written only when false, so reports on the synthetic world keep their fields.
        ...(c.available === false ? { available: false } : {}),
        applicable: c.applicable,
        ...(c.reason === null ? {} : { reason: c.reason }),
        ...(c.note === null ? {} : { note: c.note }),
      }];
    }),
  );
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * A source group as the report names it: `code + math`.
 *
 * @param sources Source names.
 * @returns The names joined with " + ".
 */
export function sourceGroupLabel(sources: readonly string[]): string {
  return sources.join(" + ");
}
