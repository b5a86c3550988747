import type { Block, Section, WeightedToken } from "../render/mod.ts";

/** One document as a query page shows it. */
export interface PageDocument {
  id: string;
  /** Raw score (nats of log p(completion)). */
  score: number;
  /** 1-based rank in the query's row (from the bottom for bottom documents: 1 = most negative). */
  rank: number;
  source: string;
  /** Ground-truth labels in words (procedures with format, facts). */
  labels: string;
  text: string;
  /** Per-token scores, when computed for this pair (top documents). */
  tokens?: WeightedToken[];
}

/** One query's page. */
export interface QueryPage {
  setup: string;
  id: string;
  set: string;
  /** The set's group (factual, reasoning, control), shown for a query file of one's own. */
  group?: string;
  prompt: string;
  completion: string;
  correct: boolean;
  nats: number;
  top: PageDocument[];
  bottom: PageDocument[];
}

function documentBlocks(title: string, docs: PageDocument[]): Block[] {
  if (docs.length === 0) return [];
  return [
    { kind: "heading", level: 4, text: title },
    ...docs.flatMap((d): Block[] => [
      {
        kind: "paragraph",
        plain: true,
        text: `#${d.rank} ${d.id} · score ${d.score.toPrecision(4)} · source ${d.source} · ${
          d.labels || "no labels"
        }`,
      },
      d.tokens
        ? {
          kind: "tokens",
          tokens: d.tokens,
          legend: { positive: "raises log p(completion)", negative: "lowers it" },
        }
        : { kind: "code", text: d.text },
    ]),
  ];
}

/**
 * Per-query pages: for each shown query, the prompt, the model's completion and whether it is right,
 * its top documents with per-token influence shading and its bottom documents. Every text from the
 * corpus or the model is plain text (escaped by the renderers). Each query is a collapsed details block
 * so the page stays light.
 *
 * @param pages The queries to show, grouped by setup in report order.
 * @returns The section.
 */
export function queryPagesSection(pages: QueryPage[]): Section {
  return {
    id: "queries",
    title: "Queries",
    blocks: [
      {
        kind: "paragraph",
        text: "Per query: the prompt and the model's own completion (the measured text), its top documents " +
          "shaded token by token (the per-token scores sum to the document's score) and its bottom documents.",
      },
      ...pages.map((p): Block => ({
        kind: "details",
        summary: `${p.setup} · ${p.id} (${p.set}${p.group ? `, ${p.group}` : ""}) · ${
          p.correct ? "right" : "wrong"
        } · ${p.nats.toFixed(2)} nats`,
        blocks: [
          { kind: "code", text: `${p.prompt}\n--- completion ---${p.completion}` },
          ...documentBlocks("Top documents", p.top),
          ...documentBlocks("Bottom documents", p.bottom),
        ],
      })),
    ],
  };
}
