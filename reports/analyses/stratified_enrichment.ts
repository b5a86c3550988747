/**
 * Stratified label-permutation test of top-k enrichment (findings F4 and F5): are the documents a query
 * ranks highest labelled (demonstrate its procedure; come from code or math) more often than documents
 * like them — of the same stratum (same source; same content) — are?
 *
 * The null shuffles the labels among the documents of each stratum, once per draw for every query that
 * shares the label, so it keeps everything about the rankings, including how much the queries' top
 * documents overlap: unlike a test over queries, it stays valid when every query ranks the same documents
 * high. A stratum effect (code documents ranking high, say) stays in the null, so what is left is the
 * label's effect beyond the strata.
 *
 * @module
 */
import { Rng } from "../../fixtures/world/rng.ts";

/** One query of the test: its top-k documents and which label array applies to it. */
export interface EnrichmentQuery {
  /** Indices of its top-k documents. */
  top: readonly number[];
  /** Key of its label array in `labels`. */
  label: string;
}

/** The test's outcome. */
export interface EnrichmentTest {
  /** Per query: the share of its top-k documents with its label, and that share's null expectation. */
  perQuery: { observed: number; expected: number }[];
  /** Mean over queries of observed − expected. */
  statistic: number;
  /**
   * Two-sided p-value, (1 + #{|null| ≥ |observed|}) / (1 + draws); null without draws, queries or a
   * label that varies within some stratum (then the null has a single arrangement).
   */
  pValue: number | null;
  /** Null draws made. */
  draws: number;
}

/**
 * Runs the test. The expectation of query q's share under the null is exact: the mean over its top-k
 * documents of their stratum's label rate.
 *
 * @param queries The queries.
 * @param labels Per key, 1 for each labelled document (document order).
 * @param strata Stratum of each document (any integers).
 * @param draws Null draws.
 * @param seed Seed of the draws.
 * @returns Per-query shares, the statistic and the two-sided p-value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stratifiedEnrichmentTest } from "./stratified_enrichment.ts";
 * // 8 documents in two strata; the labelled ones are exactly the documents both queries rank top.
 * const labels = new Map([["p", Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0])]]);
 * const strata = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
 * const t = stratifiedEnrichmentTest([{ top: [0, 1], label: "p" }, { top: [0, 4], label: "p" }], labels, strata, 200, 1);
 * assert.deepEqual(t.perQuery, [{ observed: 1, expected: 0.5 }, { observed: 1, expected: 0.375 }]);
 * assert.ok(t.statistic > 0);
 * ```
 */
export function stratifiedEnrichmentTest(
  queries: readonly EnrichmentQuery[],
  labels: ReadonlyMap<string, Uint8Array>,
  strata: Int32Array,
  draws: number,
  seed: number,
): EnrichmentTest {
  const n = strata.length;
  const members = new Map<number, number[]>();
  strata.forEach((s, d) => {
    const group = members.get(s);
    if (group) group.push(d);
    else members.set(s, [d]);
  });
  const groups = [...members.values()];
  for (const [key, label] of labels) {
    if (label.length !== n) throw new RangeError(`Label "${key}" has ${label.length} entries, expected ${n}`);
  }
  const rate = new Map<string, Float64Array>();
  for (const [key, label] of labels) {
    const r = new Float64Array(n);
    for (const group of groups) {
      const share = group.reduce((c, d) => c + label[d], 0) / group.length;
      for (const d of group) r[d] = share;
    }
    rate.set(key, r);
  }
  const share = (q: EnrichmentQuery, label: ArrayLike<number>) =>
    q.top.length === 0 ? 0 : q.top.reduce((c, d) => c + label[d], 0) / q.top.length;
  const perQuery = queries.map((q) => {
    const label = labels.get(q.label);
    if (!label) throw new RangeError(`No label "${q.label}"`);
    return { observed: share(q, label), expected: share(q, rate.get(q.label)!) };
  });
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  const expected = mean(perQuery.map((p) => p.expected));
  const statistic = mean(perQuery.map((p) => p.observed)) - expected;
  const varies = [...labels.values()].some((label) =>
    groups.some((g) => g.some((d) => label[d] !== label[g[0]]))
  );
  if (draws <= 0 || queries.length === 0 || !varies) return { perQuery, statistic, pValue: null, draws: 0 };

  const rng = new Rng(seed);
  const used = [...new Set(queries.map((q) => q.label))];
  const shuffled = new Map(used.map((key) => [key, new Uint8Array(n)]));
  let extreme = 0;
  const tolerance = 1e-12 * Math.max(1, Math.abs(statistic));
  for (let b = 0; b < draws; b++) {
    for (const key of used) {
      const source = labels.get(key)!, target = shuffled.get(key)!;
      for (const group of groups) {
        // Fisher-Yates over the stratum's labels.
        const values = group.map((d) => source[d]);
        for (let i = values.length - 1; i > 0; i--) {
          const j = rng.int(0, i);
          [values[i], values[j]] = [values[j], values[i]];
        }
        group.forEach((d, i) => (target[d] = values[i]));
      }
    }
    const t = mean(queries.map((q) => share(q, shuffled.get(q.label)!))) - expected;
    if (Math.abs(t) >= Math.abs(statistic) - tolerance) extreme++;
  }
  return { perQuery, statistic, pValue: (1 + extreme) / (1 + draws), draws };
}
