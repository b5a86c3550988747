import type { Section } from "../render/mod.ts";
import type { WorldSummary } from "../../fixtures/world/mod.ts";

/**
 * The report section describing the synthetic pretraining world: documents, tokens and share per
 * source, procedure demonstrations by format, how often facts are stated, and the query sets.
 *
 * @param summary The world stage's summary (`summarizeWorld`).
 * @returns A report section with tables and Vega-Lite charts.
 */
export function worldSection(summary: WorldSummary): Section {
  if ((summary as { corpus?: string }).corpus === "user") {
    return ownCorpusSection(summary as unknown as OwnCorpus);
  }
  const sources = Object.entries(summary.sources);
  const procedures = Object.entries(summary.procedureDocuments);
  const formats = [...new Set(procedures.flatMap(([, byFormat]) => Object.keys(byFormat)))];
  const mentions = Object.entries(summary.factMentions).sort(([a], [b]) => Number(a) - Number(b));
  return {
    id: "world",
    title: "The synthetic pretraining world",
    blocks: [
      {
        kind: "paragraph",
        text: `${summary.documents.toLocaleString("en-US")} documents, ` +
          `${summary.tokens.toLocaleString("en-US")} tokens (${
            summary.characters.toLocaleString("en-US")
          } characters). Every document records its source, the procedures it demonstrates, the facts it ` +
          `states and the numbers it holds, so the findings can be checked against ground truth. ` +
          `${summary.contents.procedure} documents demonstrate a procedure, ${summary.contents.fact} state a ` +
          `fact, ${summary.contents.filler} are neither.`,
      },
      {
        kind: "table",
        caption: "Documents and tokens per source.",
        columns: [
          { label: "source", align: "left" },
          { label: "documents", format: { style: "integer" } },
          { label: "tokens", format: { style: "integer" } },
          { label: "document share", format: { style: "percent", digits: 1 } },
          { label: "token share", format: { style: "percent", digits: 1 } },
        ],
        rows: sources.map(([name, s]) => [name, s.documents, s.tokens, s.documentShare, s.tokenShare]),
      },
      {
        kind: "chart",
        id: "world-sources",
        title: "Token share per source",
        spec: {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          width: 420,
          height: 180,
          data: { values: sources.map(([source, s]) => ({ source, share: s.tokenShare })) },
          mark: "bar",
          encoding: {
            y: { field: "source", type: "nominal", sort: "-x", title: null },
            x: { field: "share", type: "quantitative", axis: { format: "%" }, title: "share of tokens" },
          },
        },
      },
      {
        kind: "table",
        caption: "Documents demonstrating each procedure, by format (arithmetic, slope and linear are the " +
          "queried procedures; the others are distractors).",
        columns: [{ label: "procedure", align: "left" }, ...formats.map((f) => ({ label: f }))],
        rows: procedures.map(([name, byFormat]) => [name, ...formats.map((f) => byFormat[f as never] ?? 0)]),
      },
      {
        kind: "chart",
        id: "world-procedures",
        title: "Procedure demonstrations by format",
        spec: {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          width: 420,
          height: 200,
          data: {
            values: procedures.flatMap(([procedure, byFormat]) =>
              Object.entries(byFormat).map(([format, documents]) => ({ procedure, format, documents }))
            ),
          },
          mark: "bar",
          encoding: {
            y: { field: "procedure", type: "nominal", title: null },
            x: { field: "documents", type: "quantitative", stack: "zero" },
            color: { field: "format", type: "nominal" },
          },
        },
      },
      {
        kind: "chart",
        id: "world-fact-mentions",
        title: "Facts by the number of documents stating them",
        caption: "A fact stated in no document cannot be known; the factual queries span every count.",
        spec: {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          width: 420,
          height: 160,
          data: { values: mentions.map(([m, facts]) => ({ mentions: Number(m), facts })) },
          mark: "bar",
          encoding: {
            x: { field: "mentions", type: "ordinal", title: "documents stating the fact" },
            y: { field: "facts", type: "quantitative", title: "facts" },
          },
        },
      },
      {
        kind: "table",
        caption:
          "Queries per set (the factual set is a pool; later stages pick as many answered right as wrong).",
        columns: [{ label: "query set", align: "left" }, { label: "queries", format: { style: "integer" } }],
        rows: Object.entries(summary.queries).map(([set, n]) => [set, n]),
      },
    ],
  };
}

/** The world stage's summary of a corpus of one's own (`UserWorldSummary` of the world stage). */
interface OwnCorpus {
  documents: number;
  characters: number;
  sources: WorldSummary["sources"];
  procedureDocuments: Record<string, { keyword: number }>;
  contents: { procedure: number };
  queries: Record<string, number>;
  queryGroups?: Record<string, string>;
}

/**
 * The section describing a corpus of one's own: documents and characters per source (the `source` field),
 * documents holding each procedure's keywords, and the query sets with their groups; it says what the
 * corpus lacks against the synthetic world (no planted facts, no step labels).
 */
function ownCorpusSection(summary: OwnCorpus): Section {
  const sources = Object.entries(summary.sources);
  const procedures = Object.entries(summary.procedureDocuments);
  return {
    id: "world",
    title: "Your corpus",
    blocks: [
      {
        kind: "paragraph",
        text:
          `${summary.documents.toLocaleString("en-US")} documents, ${
            summary.characters.toLocaleString("en-US")
          } characters, from corpus.path. A corpus of one's own has no ground truth: no document is known to ` +
          "state a fact or to work a procedure's steps. Sources come from each document's `source` field " +
          `("web" when it has none); ${summary.contents.procedure} documents hold a keyword of ` +
          "corpus.procedureKeywords.",
      },
      {
        kind: "table",
        caption: "Documents and characters per source.",
        columns: [
          { label: "source", align: "left" },
          { label: "documents", format: { style: "integer" } },
          { label: "characters", format: { style: "integer" } },
          { label: "document share", format: { style: "percent", digits: 1 } },
        ],
        rows: sources.map(([name, s]) => [name, s.documents, s.characters, s.documentShare]),
      },
      procedures.length === 0
        ? {
          kind: "paragraph",
          text: "The manifest gives no corpus.procedureKeywords: no document is marked as demonstrating a " +
            "procedure, so F4 is not available.",
        }
        : {
          kind: "table",
          caption: "Documents holding one of each procedure's keywords (corpus.procedureKeywords, " +
            "case-insensitive).",
          columns: [{ label: "procedure", align: "left" }, {
            label: "documents",
            format: { style: "integer" },
          }],
          rows: procedures.map(([name, p]) => [name, p.keyword]),
        },
      {
        kind: "table",
        caption: "Queries per set (queries.path) and the group each belongs to (its queries' kind).",
        columns: [
          { label: "query set", align: "left" },
          { label: "group", align: "left" },
          { label: "queries", format: { style: "integer" } },
        ],
        rows: Object.entries(summary.queries).map(([set, n]) => [set, summary.queryGroups?.[set] ?? "", n]),
      },
    ],
  };
}
