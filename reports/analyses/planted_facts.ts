/** One factual query whose fact the corpus states in a known set of documents. */
export interface PlantedFactQuery {
  /** The query's id. */
  queryId: string;
  /** Column indices (into the score row) of the documents that state the query's fact. */
  factDocuments: number[];
}

/** How one query's fact documents rank among all documents. */
export interface PlantedFactRank {
  /** The query's id. */
  queryId: string;
  /** 1-based ranks of the fact documents, best first (rank 1 = highest score). */
  ranks: number[];
  /** Mean over the fact documents of rank / documents, in (0, 1]; 0.5 is what chance gives. */
  meanRankFraction: number;
  /** Whether the best-ranked fact document is within the top k. */
  inTopK: boolean;
}

/** Summary of the planted-fact check over queries. */
export interface PlantedFactCheck {
  /** Queries checked. */
  queries: number;
  /** The top-k cut-off. */
  k: number;
  /** Share of queries with a fact document in the top k. */
  shareInTopK: number;
  /** Share chance would give: 1 − C(D − m, k) / C(D, k), averaged over queries (m = fact documents). */
  chanceShareInTopK: number;
  /** Median over queries of the mean rank fraction (chance ≈ 0.5). */
  medianRankFraction: number;
  /** One entry per query, in the order given. */
  perQuery: PlantedFactRank[];
}

/**
 * The planted-fact check: for factual queries whose fact is stated in a handful of documents, do those
 * documents rank near the top of the query's influence scores? Ranks are by descending score; ties are
 * broken by document index so the result is deterministic.
 *
 * @param scores Row-major [queries × documents] scores.
 * @param documents Number of documents (columns).
 * @param rowOf Row of each query id in `scores`.
 * @param queries The queries to check, with their fact documents.
 * @param k Top-k cut-off.
 * @returns The summary and per-query ranks.
 * @example
 * ```ts
 * import { plantedFactCheck } from "./planted_facts.ts";
 * const scores = new Float32Array([0.1, 0.9, 0.2, 0.0]); // one query, four documents
 * const check = plantedFactCheck(scores, 4, new Map([["q", 0]]), [{ queryId: "q", factDocuments: [1] }], 1);
 * console.assert(check.perQuery[0].ranks[0] === 1 && check.shareInTopK === 1);
 * ```
 */
export function plantedFactCheck(
  scores: ArrayLike<number>,
  documents: number,
  rowOf: ReadonlyMap<string, number>,
  queries: readonly PlantedFactQuery[],
  k: number,
): PlantedFactCheck {
  const perQuery: PlantedFactRank[] = [];
  let chance = 0;
  for (const q of queries) {
    const row = rowOf.get(q.queryId);
    if (row === undefined || q.factDocuments.length === 0) continue;
    const base = row * documents;
    const order = Array.from({ length: documents }, (_, i) => i)
      .sort((a, b) => scores[base + b] - scores[base + a] || a - b);
    const rank = new Int32Array(documents);
    order.forEach((d, i) => (rank[d] = i + 1));
    const ranks = q.factDocuments.map((d) => rank[d]).sort((a, b) => a - b);
    perQuery.push({
      queryId: q.queryId,
      ranks,
      meanRankFraction: ranks.reduce((s, r) => s + r, 0) / ranks.length / documents,
      inTopK: ranks[0] <= k,
    });
    chance += 1 - missAll(documents, q.factDocuments.length, k);
  }
  const fractions = perQuery.map((p) => p.meanRankFraction).sort((a, b) => a - b);
  const n = perQuery.length;
  return {
    queries: n,
    k,
    shareInTopK: n ? perQuery.filter((p) => p.inTopK).length / n : 0,
    chanceShareInTopK: n ? chance / n : 0,
    medianRankFraction: n ? (fractions[(n - 1) >> 1] + fractions[n >> 1]) / 2 : 0,
    perQuery,
  };
}

/** Probability that k documents drawn without replacement from D miss all m marked ones. */
function missAll(d: number, m: number, k: number): number {
  let p = 1;
  for (let i = 0; i < k; i++) p *= Math.max(0, d - m - i) / (d - i);
  return p;
}
