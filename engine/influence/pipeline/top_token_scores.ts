/**
 * Per-token scores of every query's top documents, and joining score chunks.
 *
 * @module
 */

import type { ScoreChunk } from "./score_documents.ts";

/**
 * Joins per-chunk [Q, count] arrays into one row-major [Q, D] array (chunks in document order).
 *
 * @param chunks The chunks, covering documents 0..D−1 in order.
 * @param queries Q.
 * @param documents D.
 * @param pick Which array of a chunk to join.
 * @returns The joined array.
 */
export function joinChunks<C extends ScoreChunk>(
  chunks: readonly C[],
  queries: number,
  documents: number,
  pick: (chunk: C) => Float64Array,
): Float64Array {
  const out = new Float64Array(queries * documents);
  let first = 0;
  for (const chunk of chunks) {
    const src = pick(chunk), count = chunk.norms.length;
    for (let q = 0; q < queries; q++) {
      out.set(src.subarray(q * count, (q + 1) * count), q * documents + first);
    }
    first += count;
  }
  return out;
}

/** One (query, top document) pair of {@linkcode TopTokenScores}. */
export interface TopTokenPair {
  /** Row of the query. */
  query: number;
  /** Column of the document. */
  document: number;
  /** 1-based rank of the document in the query's row (1 = highest score). */
  rank: number;
  /** Where the pair's per-token scores start in `values`. */
  offset: number;
  /** How many: one per token of the document. */
  length: number;
}

/** Per-token scores of each query's top documents. */
export interface TopTokenScores {
  /** The pairs, by query then rank. */
  pairs: TopTokenPair[];
  /** Every pair's per-token scores, end to end. */
  values: Float64Array;
  /** Largest |Σ per-token scores − the pair's score| seen (the two computations should agree). */
  maxSumDeviation: number;
}

/** Computes per-token scores for documents (batch slots) and (query, slot) pairs, in pair order. */
export type TokenScoreRunner = (
  documents: number[],
  pairs: { query: number; slot: number }[],
) => Promise<Float64Array[]>;

/**
 * Per-token scores of the `k` top-scoring documents of every query. Documents are visited in ascending
 * column order (or by `length`, then column, so that a batch pads little), `batchDocuments` per call of
 * `run`, each document once however many queries rank it top-k; ties in a row are broken by lower
 * document index. The result does not depend on the visiting order.
 *
 * @param scores Row-major [queries × documents] raw scores.
 * @param queries Rows.
 * @param documents Columns.
 * @param k Top documents per query (capped at `documents`; 0: none).
 * @param run Computes per-token scores for a batch.
 * @param batchDocuments Most documents per call.
 * @param length A document's token count, to visit documents by length (default: column order).
 * @returns Pairs sorted by query then rank, with their values.
 */
export async function scoreTopTokens(
  scores: Float64Array,
  queries: number,
  documents: number,
  k: number,
  run: TokenScoreRunner,
  batchDocuments = 16,
  length?: (document: number) => number,
): Promise<TopTokenScores> {
  const wanted = new Map<number, { query: number; rank: number }[]>();
  const take = Math.min(k, documents);
  for (let q = 0; q < queries; q++) {
    const row = scores.subarray(q * documents, (q + 1) * documents);
    const order = Array.from({ length: documents }, (_, d) => d).sort((a, b) => row[b] - row[a] || a - b);
    order.slice(0, take).forEach((d, r) => {
      if (!wanted.has(d)) wanted.set(d, []);
      wanted.get(d)!.push({ query: q, rank: r + 1 });
    });
  }
  const docs = [...wanted.keys()].sort((a, b) => (length ? length(a) - length(b) : 0) || a - b);
  const found: { pair: Omit<TopTokenPair, "offset" | "length">; values: Float64Array }[] = [];
  let maxSumDeviation = 0;
  for (let i = 0; i < docs.length; i += batchDocuments) {
    const batch = docs.slice(i, i + batchDocuments);
    const pairs = batch.flatMap((d, slot) => wanted.get(d)!.map(({ query }) => ({ query, slot })));
    const values = await run(batch, pairs);
    pairs.forEach(({ query, slot }, j) => {
      const document = batch[slot];
      const rank = wanted.get(document)!.find((w) => w.query === query)!.rank;
      const sum = values[j].reduce((s, v) => s + v, 0);
      maxSumDeviation = Math.max(maxSumDeviation, Math.abs(sum - scores[query * documents + document]));
      found.push({ pair: { query, document, rank }, values: values[j] });
    });
  }
  found.sort((a, b) => a.pair.query - b.pair.query || a.pair.rank - b.pair.rank);
  const total = found.reduce((n, f) => n + f.values.length, 0);
  const values = new Float64Array(total);
  let offset = 0;
  const pairs = found.map((f) => {
    values.set(f.values, offset);
    const pair = { ...f.pair, offset, length: f.values.length };
    offset += f.values.length;
    return pair;
  });
  return { pairs, values, maxSumDeviation };
}
