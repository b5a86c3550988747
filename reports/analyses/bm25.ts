/**
 * Okapi BM25 between texts: the lexical control of the findings. A finding that BM25 reproduces as
 * strongly as influence does could be surface overlap (shared words and numbers) rather than anything the
 * model learnt. Written here rather than taken from npm: the packages found (okapibm25, bm25) count a term
 * by substring, so the number 1 would match inside 12 and 2021, which matters for a corpus of numbers.
 *
 * @module
 */

/** BM25's free parameters. */
export interface Bm25Settings {
  /** Term-frequency saturation (default 1.2). */
  k1: number;
  /** Length normalisation, 0 (none) to 1 (full) (default 0.75). */
  b: number;
}

/** The usual defaults (Robertson and Zaragoza, 2009). */
export const BM25_DEFAULTS: Bm25Settings = { k1: 1.2, b: 0.75 };

/**
 * Terms of a text: lower-cased words (a letter or underscore, then letters, digits, underscores, so `x1`
 * is one term) and integers with an attached minus sign (`-3`; a spaced minus is an operator).
 *
 * @param text Any text.
 * @returns Its terms in order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bm25Terms } from "./bm25.ts";
 * assert.deepEqual(bm25Terms("Slope = (y2 - y1) / 4 = -3"), ["slope", "y2", "y1", "4", "-3"]);
 * ```
 */
export function bm25Terms(text: string): string[] {
  return Array.from(text.toLowerCase().matchAll(/[a-z_][a-z0-9_]*|(?<![a-z0-9_])-?\d+/g), (m) => m[0]);
}

/**
 * BM25 score of every document for every query: for query q and document d,
 * Σ_{t ∈ distinct terms of q} idf(t) · f(t, d)(k1 + 1) / (f(t, d) + k1(1 − b + b·|d|/avgdl)), with
 * idf(t) = ln(1 + (N − n_t + 0.5)/(n_t + 0.5)) (never negative), N documents, n_t of them containing t,
 * |d| the document's number of terms and avgdl the mean over documents.
 *
 * @param queries Query texts.
 * @param documents Document texts.
 * @param settings k1 and b.
 * @returns Scores, row-major [queries × documents].
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bm25Scores } from "./bm25.ts";
 * const s = bm25Scores(["slope 4"], ["the slope is 4", "a river", "4 4 4 4"]);
 * assert.ok(s[0] > s[2] && s[2] > s[1] && s[1] === 0);
 * ```
 */
export function bm25Scores(
  queries: readonly string[],
  documents: readonly string[],
  settings: Bm25Settings = BM25_DEFAULTS,
): Float64Array {
  const { k1, b } = settings;
  const nd = documents.length;
  const frequencies = documents.map((text) => {
    const counts = new Map<string, number>();
    for (const term of bm25Terms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
    return counts;
  });
  const lengths = documents.map((text) => bm25Terms(text).length);
  const avgdl = lengths.reduce((a, x) => a + x, 0) / Math.max(nd, 1) || 1;
  const containing = new Map<string, number>();
  for (const counts of frequencies) {
    for (const term of counts.keys()) containing.set(term, (containing.get(term) ?? 0) + 1);
  }
  const idf = (term: string) => {
    const n = containing.get(term) ?? 0;
    return Math.log(1 + (nd - n + 0.5) / (n + 0.5));
  };
  const scores = new Float64Array(queries.length * nd);
  queries.forEach((query, q) => {
    const terms = [...new Set(bm25Terms(query))].map((t) => [t, idf(t)] as const);
    for (let d = 0; d < nd; d++) {
      const counts = frequencies[d], norm = k1 * (1 - b + (b * lengths[d]) / avgdl);
      let sum = 0;
      for (const [term, weight] of terms) {
        const f = counts.get(term);
        if (f !== undefined) sum += (weight * f * (k1 + 1)) / (f + norm);
      }
      scores[q * nd + d] = sum;
    }
  });
  return scores;
}
