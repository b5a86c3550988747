/**
 * F5: over- and under-representation of pretraining sources among a query group's top and bottom
 * documents.
 *
 * @module
 */
import { type Document, type Query, type Source, SOURCES } from "../../fixtures/world/types.ts";
import { bottomDocuments, scoreRow, topDocuments } from "./top_documents.ts";

/** A source's share of a pool of documents and that share divided by its share of the corpus. */
export interface SourceShare {
  /** The source's share of the pool. */
  share: number;
  /** `share / corpus share`; NaN for a source absent from the corpus. */
  ratio: number;
}

/** One query's ratio per source at one k (its k documents against the corpus). */
export interface QuerySourceRatios {
  /** The query's id. */
  queryId: string;
  /** Per source: its share of the query's top-k documents divided by its corpus share. */
  top: Record<Source, number>;
  /** Per source: its share of the query's bottom-k documents divided by its corpus share. */
  bottom: Record<Source, number>;
}

/** Source shares of the pooled top-k and bottom-k documents at one k. */
export interface SourceRatiosAtK {
  /** The k asked for. */
  k: number;
  /** Documents each query contributes: k capped at the number of documents. */
  taken: number;
  /** Per source: its share of the pooled top-k documents and that share over its corpus share. */
  top: Record<Source, SourceShare>;
  /** Per source: its share of the pooled bottom-k documents and that share over its corpus share. */
  bottom: Record<Source, SourceShare>;
  /** Per-query ratios; their mean over queries equals the pooled ratio (every query contributes `taken`). */
  perQuery: QuerySourceRatios[];
}

/** Source ratios of a query group at each k. */
export interface SourceRatios {
  /** Each source's share of the whole corpus. */
  corpus: Record<Source, number>;
  /** One entry per k, in the order given. */
  byK: SourceRatiosAtK[];
}

/**
 * For a group of queries (e.g. one query set) and each k, the share of each source among the pooled
 * top-k documents of the queries (each query contributes its k documents, so a document can count
 * several times) divided by the source's share of the corpus; the same for the bottom-k (most
 * negative) documents. A ratio above 1 means the source is over-represented.
 *
 * @param scores Row-major [queries × documents] scores, columns in the order of `documents`.
 * @param documents The scored documents (only `source` is read).
 * @param queries The group's queries with their rows in `scores`.
 * @param ks Cut-offs, e.g. [50, 500, 5000]; each is capped at the number of documents.
 * @param sources The sources counted, in order (default: the synthetic world's {@linkcode SOURCES}; a
 *   corpus of one's own passes the names its `source` field uses).
 * @returns Corpus shares and, per k, pooled shares and ratios and per-query ratios (NaN shares for no queries).
 * @throws {RangeError} On a k that is not a positive integer, a bad row or an unknown source.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceRatios } from "./source_ratios.ts";
 * const docs = [{ source: "math" as const }, { source: "web" as const }, { source: "web" as const }, { source: "web" as const }];
 * const out = sourceRatios(new Float32Array([0.9, 0.1, 0.0, -0.5]), docs, [{ row: 0, query: { id: "q" } }], [1]);
 * assert.deepEqual(out.byK[0].top.math, { share: 1, ratio: 4 });
 * assert.deepEqual(out.byK[0].bottom.web, { share: 1, ratio: 4 / 3 });
 * ```
 */
export function sourceRatios(
  scores: ArrayLike<number>,
  documents: readonly Pick<Document, "source">[],
  queries: readonly { row: number; query: Pick<Query, "id"> }[],
  ks: readonly number[],
  sources: readonly string[] = SOURCES,
): SourceRatios {
  const perSource = <T>(value: (source: Source) => T) =>
    Object.fromEntries(sources.map((s) => [s, value(s as Source)])) as Record<Source, T>;
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) {
      throw new RangeError(`sourceRatios: k must be a positive integer, got ${k}`);
    }
  }
  const n = documents.length;
  const corpusCounts = counts(Array.from({ length: n }, (_, i) => i), documents, perSource(() => 0));
  const corpus = perSource((s) => corpusCounts[s] / n);
  const most = Math.min(n, Math.max(0, ...ks));
  const ranked = queries.map(({ row, query }) => {
    const scoresOf = scoreRow(scores, n, row);
    return { queryId: query.id, top: topDocuments(scoresOf, most), bottom: bottomDocuments(scoresOf, most) };
  });
  const ratio = (share: number, s: Source) => corpus[s] === 0 ? NaN : share / corpus[s];
  const byK = ks.map((k): SourceRatiosAtK => {
    const taken = Math.min(k, n);
    const pooledTop = perSource(() => 0), pooledBottom = perSource(() => 0);
    const perQuery = ranked.map((q): QuerySourceRatios => {
      const top = counts(q.top.slice(0, taken), documents, perSource(() => 0));
      const bottom = counts(q.bottom.slice(0, taken), documents, perSource(() => 0));
      for (const s of sources as readonly Source[]) {
        pooledTop[s] += top[s];
        pooledBottom[s] += bottom[s];
      }
      return {
        queryId: q.queryId,
        top: perSource((s) => ratio(top[s] / taken, s)),
        bottom: perSource((s) => ratio(bottom[s] / taken, s)),
      };
    });
    const pool = ranked.length * taken;
    const shares = (pooled: Record<Source, number>) =>
      perSource((s) => {
        const share = pool === 0 ? NaN : pooled[s] / pool;
        return { share, ratio: ratio(share, s) };
      });
    return { k, taken, top: shares(pooledTop), bottom: shares(pooledBottom), perQuery };
  });
  return { corpus, byK };
}

/** Documents per source among the given columns, counted into `out` (every source at 0). */
function counts(
  columns: readonly number[],
  documents: readonly Pick<Document, "source">[],
  out: Record<Source, number>,
): Record<Source, number> {
  for (const d of columns) {
    const source = documents[d].source;
    if (!Object.hasOwn(out, source)) {
      throw new RangeError(`sourceRatios: document ${d} has unknown source "${source}"`);
    }
    out[source]++;
  }
  return out;
}
