import { join } from "node:path";
import { readSafetensors } from "../../engine/io/mod.ts";
import type { Document, Query } from "../../fixtures/world/mod.ts";
import { defaultTokenizer, type TextTokenizer } from "../../fixtures/tokenizer/mod.ts";
import { bottomDocuments, topDocuments } from "../../reports/analyses/top_documents.ts";
import type { PageDocument, QueryPage } from "../../reports/sections/query_pages_section.ts";
import { readCompletions } from "../influence/select_queries.ts";
import { readSetupScores } from "./analyses_stage.ts";
import { groupOfQuery, type UserQuery } from "./corpus_world.ts";
import { readArtifactJson, scoresFileSchema } from "../influence/artifact_files.ts";

/** Top documents per query shown with per-token shading (the others as plain text, to keep pages small). */
export const SHADED_DOCUMENTS = 3;

/** Where one setup's artifacts are. */
export interface PageSources {
  setup: string;
  scoresDir: string;
  completeDir: string;
  /** The run's tokenizer (`runTokenizer`); absent: the character tokenizer. */
  tokenizer?: TextTokenizer;
  /** The manifest's own corpus: procedures are keyword matches, and each page names its set's group. */
  ownCorpus?: boolean;
}

/**
 * Builds the per-query pages of one setup: `count` queries taken round-robin over the query sets (so
 * every set is shown), each with its `documents` top and bottom documents; top documents carry their
 * per-token scores from the scores stage when they were computed.
 *
 * @param src The setup's artifact folders.
 * @param world Documents and queries.
 * @param count Queries to show.
 * @param documents Top and bottom documents per query.
 * @returns The pages.
 */
export async function queryPages(
  src: PageSources,
  world: { documents: readonly Document[]; queries: readonly Query[] },
  count: number,
  documents: number,
): Promise<QueryPage[]> {
  const queries = new Map(world.queries.map((q) => [q.id, q]));
  const scores = await readSetupScores(src.scoresDir, src.setup, queries);
  const meta = await readArtifactJson(join(src.scoresDir, "scores.json"), scoresFileSchema);
  const completions = new Map(
    (await readCompletions(join(src.completeDir, "completions.jsonl"))).map((c) => [c.id, c]),
  );
  const docs = new Map(world.documents.map((d) => [d.id, d]));
  const tokenIndex = await Deno.readTextFile(join(src.scoresDir, "token_scores.json")).then(
    (t) => JSON.parse(t).pairs as { query: string; document: string; offset: number; length: number }[],
    () => [],
  );
  const values = tokenIndex.length === 0 ? new Float32Array(0) : readSafetensors(
    await Deno.readFile(join(src.scoresDir, "token_scores.safetensors")),
  ).tensors.get("values")!.data as Float32Array;
  const tokensOf = new Map(tokenIndex.map((p) => [`${p.query}\n${p.document}`, p]));
  const tok = src.tokenizer ?? defaultTokenizer();

  const bySet = new Map<string, typeof scores.queries>();
  for (const q of scores.queries) bySet.set(q.query.set, [...(bySet.get(q.query.set) ?? []), q]);
  const chosen: typeof scores.queries = [];
  for (let i = 0; chosen.length < count && [...bySet.values()].some((l) => l.length > i); i++) {
    for (const list of bySet.values()) if (list[i] && chosen.length < count) chosen.push(list[i]);
  }
  return chosen.map(({ row, query, correct }) => {
    const rowScores = scores.scores instanceof Float32Array
      ? scores.scores.subarray(row * scores.documents, (row + 1) * scores.documents)
      : Array.from({ length: scores.documents }, (_, d) => scores.scores[row * scores.documents + d]);
    const page = (d: number, rank: number, withTokens: boolean): PageDocument => {
      const id = scores.documentIds[d];
      const doc = docs.get(id)!;
      const pair = withTokens ? tokensOf.get(`${query.id}\n${id}`) : undefined;
      // Never throws on a character outside the character vocabulary (a corpus of one's own read without
      // `tokenizer`): its tokens then do not line up with the per-token scores and stay unshaded.
      const ids = tok.encode(doc.text, { bos: true, eos: true, unknown: "unk" });
      return {
        id,
        score: rowScores[d],
        rank,
        source: doc.source,
        labels: [
          ...doc.procedures.map((p) =>
            src.ownCorpus ? `keywords of ${p.procedure}` : `${p.procedure} (${p.format})`
          ),
          ...doc.facts.map((f) => `states ${f}`),
        ].join(", "),
        text: doc.text,
        tokens: pair && pair.length === ids.length
          ? [...ids].map((t, i) => ({
            text: tok.decode([t], { special: "show" }),
            weight: values[pair.offset + i],
          }))
          : undefined,
      };
    };
    const completion = completions.get(query.id);
    return {
      setup: src.setup,
      id: query.id,
      set: query.set,
      ...(src.ownCorpus ? { group: groupOfQuery(query as UserQuery) } : {}),
      prompt: query.prompt,
      completion: completion?.completion ?? "",
      correct,
      nats: meta.nats[row],
      top: topDocuments(rowScores, documents).map((d, i) => page(d, i + 1, i < SHADED_DOCUMENTS)),
      bottom: bottomDocuments(rowScores, documents).map((d, i) => page(d, i + 1, false)),
    };
  });
}
