import { SOURCES } from "../../fixtures/world/types.ts";
import type { Block, Section } from "../render/mod.ts";
import type { Findings } from "../findings/compute_findings.ts";
import { formatEffect, formatInterval, formatTest, sourceGroupLabel } from "../findings/findings_table.ts";
import { F5_SOURCES } from "../findings/findings_input.ts";
import { availabilityNote } from "./availability_note.ts";

/**
 * F3: whether the answer is in each query's top-k documents, by ground truth and by text search, per
 * set and split by whether the model answered right.
 */
export function f3Section(findings: Findings): Section {
  // A corpus of one's own has no ground truth: presence by text search only.
  const byText = findings.setups.some((s) => s.f3.basis === "text");
  const rows = findings.setups.flatMap((s) =>
    Object.entries(s.f3.presence.bySet).flatMap(([set, p]) =>
      (["all", "correct", "incorrect"] as const).filter((split) => p![split].queries > 0).map((split) => [
        s.setup,
        set,
        split,
        p![split].queries,
        ...(byText ? [] : [p![split].truthQueries > 0 ? p![split].truthShare : null]),
        p![split].textShare,
      ])
    )
  );
  const k = `k = ${findings.setups[0]?.f3.k ?? "–"}: ${
    findings.setups[0] ? `${+(100 * findings.setups[0].f3.share).toFixed(3)}%` : "–"
  } of the scored documents (the paper: 500 of about 5M, 0.01%).`;
  return {
    id: "f3",
    title: "F3 — Is the answer in the top documents?",
    blocks: [
      ...availabilityNote(findings, ["F3"]),
      byText
        ? {
          kind: "paragraph",
          text:
            "This corpus has no ground truth (no documents labelled with the facts they state or the steps " +
            "they work), so presence is by text search only. Factual and control queries: the answer as a " +
            "whole word in a top-k document. Reasoning queries: the integer answer and the numbers of a given " +
            "completion each among the numbers of some top-k document (an answer that is not an integer: as a " +
            `whole word). ${k} The comparison uses the factual queries answered right that have an answer ` +
            "against every reasoning query, each as its presence minus its chance of presence in k random " +
            "documents (by text search).",
        }
        : {
          kind: "paragraph",
          text:
            "Factual: a top-k document states the queried fact (ground truth: its fact labels; text: the answer " +
            "as a whole word). Reasoning: every step's result, the answer included, appears in some top-k document " +
            "(ground truth: a step of the same procedure with that name and value; text: the number in the text). " +
            `k = ${findings.setups[0]?.f3.k ?? "–"}: ${
              findings.setups[0] ? `${+(100 * findings.setups[0].f3.share).toFixed(3)}%` : "–"
            } of the scored documents (the paper: 500 of about 5M, 0.01%). The comparison uses the factual ` +
            "queries answered right whose fact some scored document states (only those can be found) against " +
            "every reasoning query, each as its presence minus its chance of presence in k random documents.",
        },
      {
        kind: "table",
        caption: "Share of queries whose answer is in the top k.",
        columns: [
          { label: "setup", align: "left" },
          { label: "set", align: "left" },
          { label: "model's answer", align: "left" },
          { label: "queries", format: { style: "integer" } },
          ...(byText ? [] : [{ label: "ground truth", format: { style: "percent" as const, digits: 0 } }]),
          { label: "text search", format: { style: "percent", digits: 0 } },
        ],
        rows,
      },
      {
        kind: "paragraph",
        text: findings.setups.map((s) => {
          const r = s.f3.raw ?? null;
          const chance = r
            ? ` Chance${byText ? " (text search)" : ""} in ${s.f3.k} random documents: factual ${
              formatShare(r.chanceFactual)
            }, reasoning ${formatShare(r.chanceReasoning)}.`
            : "";
          const n = s.f3.normalised;
          const normalised = n
            ? ` Ranked by gradient-norm-normalised scores (as the paper ranks): factual ${
              formatInterval(n.truth.a)
            } vs reasoning ${formatInterval(n.truth.b)} (${formatTest(n.truth)}; ${formatEffect(n.truth)}).`
            : "";
          if (s.availability?.unavailable.F3 !== undefined) return "";
          return `${s.setup} (${s.f3.factualKept ?? "–"} of ${
            s.f3.factualAsked ?? "–"
          } factual queries kept), ` +
            `presence${byText ? " by text search" : ""} above chance, raw scores: factual ${
              formatInterval(s.f3.truth.a)
            } vs reasoning ${formatInterval(s.f3.truth.b)} (${formatTest(s.f3.truth)}; ${
              formatEffect(s.f3.truth)
            }).${chance}${normalised}`;
        }).filter((t) => t !== "").join(" ") || (byText ? "No setup measured F3 (see the note above)." : ""),
      },
    ],
  };
}

/** F4: share of each reasoning query's top documents that demonstrate its procedure, by format. */
export function f4Section(findings: Findings): Section {
  // A corpus of one's own marks procedures by keyword only: no formats, and only the setups where F4 runs.
  const own = findings.setups.some((s) => s.availability !== undefined);
  if (own) return f4OwnCorpusSection(findings);
  return {
    id: "f4",
    title: "F4 — Do the top documents demonstrate the procedure?",
    blocks: [
      {
        kind: "table",
        caption:
          `Top ${findings.setups[0]?.f4.k ?? "–"} documents of each reasoning query: share demonstrating ` +
          "the queried procedure (any format, then code / worked / formula), mean [95% interval], against its " +
          "share of the corpus; and queries with at least one such document (the paper: 16/20 and 20/20 in the top 100).",
        columns: [
          { label: "setup", align: "left" },
          { label: "set", align: "left" },
          { label: "share in top k", align: "left" },
          { label: "base rate", format: { style: "percent", digits: 1 } },
          { label: "code", align: "left" },
          { label: "worked", align: "left" },
          { label: "formula", align: "left" },
          { label: "queries with one", align: "left" },
        ],
        rows: findings.setups.flatMap((s) =>
          Object.entries(s.f4.bySet).map(([set, b]) => [
            s.setup,
            set,
            formatInterval(b.share),
            b.baseRate,
            formatInterval(b.code),
            formatInterval(b.worked),
            formatInterval(b.formula),
            `${b.anyInTopK}/${b.queries}`,
          ])
        ),
      },
      {
        kind: "paragraph",
        text: "The verdict's test: per reasoning query, the share of its top k demonstrating its procedure " +
          "against the share expected from those documents' sources (the procedure's rate within each top " +
          "document's source), with the procedure labels shuffled among the documents of each source as the " +
          "null (so a source that ranks high, or the queries' shared top documents, cannot make the finding): " +
          findings.setups.map((s) =>
            `${s.setup}: observed ${formatInterval(s.f4.stratified.a)}, expected ${
              formatInterval(s.f4.stratified.b)
            } (${formatTest(s.f4.stratified)}; ${formatEffect(s.f4.stratified)}).`
          ).join(" ") +
          " Descriptive, against the corpus base rate: the share ÷ the base rate, against 1 (sign flips over " +
          "queries): " +
          findings.setups.map((s) =>
            `${s.setup}: ${formatInterval(s.f4.comparison.a)} (${formatTest(s.f4.comparison)}; ${
              formatEffect(s.f4.comparison)
            }).`
          ).join(" "),
      },
    ],
  };
}

/** F4 on a corpus of one's own: procedures marked by `corpus.procedureKeywords`, setups where it runs. */
function f4OwnCorpusSection(findings: Findings): Section {
  const measured = findings.setups.filter((s) => s.availability?.unavailable.F4 === undefined);
  const blocks: Block[] = [...availabilityNote(findings, ["F4"])];
  if (measured.length > 0) {
    blocks.push(
      {
        kind: "table",
        caption:
          `Top ${measured[0].f4.k} documents of each reasoning query: share holding a keyword of the ` +
          "query's procedure (corpus.procedureKeywords), mean [95% interval], against its share of the corpus; " +
          "and queries with at least one such document.",
        columns: [
          { label: "setup", align: "left" },
          { label: "set", align: "left" },
          { label: "share in top k", align: "left" },
          { label: "base rate", format: { style: "percent", digits: 1 } },
          { label: "queries with one", align: "left" },
        ],
        rows: measured.flatMap((s) =>
          Object.entries(s.f4.bySet).map(([set, b]) => [
            s.setup,
            set,
            formatInterval(b.share),
            b.baseRate,
            `${b.anyInTopK}/${b.queries}`,
          ])
        ),
      },
      {
        kind: "paragraph",
        text: "The verdict's test: per reasoning query, the share of its top k holding a keyword of its " +
          "procedure against the share expected from those documents' sources (the `source` field), with the " +
          "keyword labels shuffled among the documents of each source as the null: " +
          measured.map((s) =>
            `${s.setup}: observed ${formatInterval(s.f4.stratified.a)}, expected ${
              formatInterval(s.f4.stratified.b)
            } (${formatTest(s.f4.stratified)}; ${formatEffect(s.f4.stratified)}).`
          ).join(" "),
      },
    );
  }
  return { id: "f4", title: "F4 — Do the top documents demonstrate the procedure?", blocks };
}

/** F5: each source's share among the top-k (and bottom-k) documents divided by its corpus share. */
export function f5Section(findings: Findings): Section {
  const points = findings.setups.flatMap((s) =>
    Object.entries(s.f5.bySet).flatMap(([set, byK]) =>
      byK.flatMap((r) =>
        // The synthetic world's sources, or a corpus of one's own `source` names.
        (s.availability === undefined ? SOURCES : Object.keys(r.top) as typeof SOURCES[number][]).map((
          source,
        ) => ({
          setup: s.setup,
          set,
          k: r.k,
          source,
          ratio: Number.isFinite(r.top[source].ratio) ? Number(r.top[source].ratio.toPrecision(4)) : null,
        }))
      )
    )
  );
  const own = findings.setups.some((s) => s.availability !== undefined);
  const groups = findings.setups[0]?.f5.sources ?? F5_SOURCES;
  const reasoningLabel = sourceGroupLabel(groups.reasoning), factualLabel = sourceGroupLabel(groups.factual);
  const f5r = findings.setups.filter((s) => s.availability?.unavailable.F5r === undefined);
  const f5f = findings.setups.filter((s) => s.availability?.unavailable.F5f === undefined);
  const ownTests = f5r.length === 0 && f5f.length === 0 ? [] : [{
    kind: "paragraph" as const,
    text: "Sources are the corpus's `source` field. The verdicts' tests: per query, the " +
      `(${reasoningLabel}) share of a reasoning query's top k, and the (${factualLabel}) share of a ` +
      "factual query's, against the share " +
      "expected from those documents' content (the sources' rate among documents holding the same " +
      "procedure keywords, or none), with the sources shuffled among documents of the same content as the " +
      "null: " +
      [
        ...f5r.map((s) =>
          `${s.setup}, k = ${s.f5.ks[0]}: reasoning ${formatInterval(s.f5.reasoningStratified.a)} against ${
            formatInterval(s.f5.reasoningStratified.b)
          } (${formatTest(s.f5.reasoningStratified)}; ${formatEffect(s.f5.reasoningStratified)}).`
        ),
        ...f5f.map((s) =>
          `${s.setup}, k = ${s.f5.ks[0]}: factual ${formatInterval(s.f5.factualStratified.a)} against ${
            formatInterval(s.f5.factualStratified.b)
          } (${formatTest(s.f5.factualStratified)}; ${formatEffect(s.f5.factualStratified)}).`
        ),
      ].join(" "),
  }];
  const chart: Block = {
    kind: "chart",
    id: "f5-sources",
    title: "Source over-representation among the top-k documents",
    caption: "Share of each source among the pooled top-k documents of a query set ÷ its corpus share " +
      "(1 = as in the corpus; log scale).",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      data: { values: points.filter((p) => p.ratio !== null && p.ratio > 0) },
      facet: {
        row: { field: "setup", type: "nominal", title: null },
        column: { field: "set", type: "nominal", title: null },
      },
      spec: {
        width: 150,
        height: 130,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "k", type: "quantitative", scale: { type: "log" } },
          y: {
            field: "ratio",
            type: "quantitative",
            scale: { type: "log" },
            title: "ratio to corpus share",
          },
          color: { field: "source", type: "nominal" },
        },
      },
    },
  };
  return {
    id: "f5",
    title: "F5 — Which sources the influential documents come from",
    blocks: [
      ...availabilityNote(findings, ["F5r", "F5f"]),
      ...(own && ownTests.length === 0 ? [] : [chart]),
      ...(own ? ownTests : [{
        kind: "paragraph" as const,
        text:
          "The verdicts' tests: per query, the (code + math) share of a reasoning query's top k, and the " +
          "(wiki + trivia) share of a factual query's, against the share expected from those documents' " +
          "content (the sources' rate among documents demonstrating the same procedures, or stating a fact, " +
          "or neither), with the sources shuffled among documents of the same content as the null: " +
          findings.setups.map((s) =>
            `${s.setup}, k = ${s.f5.ks[0]}: reasoning ${
              formatInterval(s.f5.reasoningStratified.a)
            } against ` +
            `${formatInterval(s.f5.reasoningStratified.b)} (${formatTest(s.f5.reasoningStratified)}; ${
              formatEffect(s.f5.reasoningStratified)
            }); factual ${formatInterval(s.f5.factualStratified.a)} against ${
              formatInterval(s.f5.factualStratified.b)
            } (${formatTest(s.f5.factualStratified)}; ${formatEffect(s.f5.factualStratified)}).`
          ).join(" ") +
          " Descriptive, against the corpus shares (ratio against 1, sign flips over queries): " +
          findings.setups.map((s) =>
            `${s.setup}: reasoning (code + math) ${formatInterval(s.f5.reasoning.a)} ` +
            `(${formatTest(s.f5.reasoning)}); factual (wiki + trivia) ${formatInterval(s.f5.factual.a)} ` +
            `(${formatTest(s.f5.factual)}).`
          ).join(" "),
      }]),
    ],
  };
}

function formatShare(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "n/a";
}
