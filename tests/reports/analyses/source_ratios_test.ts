import assert from "node:assert/strict";
import { sourceRatios } from "../../../reports/analyses/source_ratios.ts";
import type { Source } from "../../../fixtures/world/types.ts";

// Corpus of ten: code 2/10, math 1/10, wiki 2/10, web 5/10; qa, trivia and definitions absent.
const DOCS = (["code", "code", "math", "wiki", "wiki", "web", "web", "web", "web", "web"] as const)
  .map((source) => ({ source }));
// q0: top d2, d0, d3; bottom d9, d8. q1: top d0, d1, d2; bottom d3, d9.
const SCORES = new Float64Array([
  ...[0.8, 0.1, 0.9, 0.7, 0.0, -0.1, -0.2, -0.3, -0.4, -0.5],
  ...[0.9, 0.8, 0.7, -0.9, 0.1, 0.0, 0.0, 0.0, 0.0, -0.5],
]);
const QUERIES = [{ row: 0, query: { id: "q0" } }, { row: 1, query: { id: "q1" } }];

/** Shares and ratios for every source from counts over `pool` documents. */
function expected(counts: Partial<Record<Source, number>>, pool: number) {
  const corpus: Record<Source, number> = {
    code: 2,
    math: 1,
    qa: 0,
    wiki: 2,
    trivia: 0,
    definitions: 0,
    web: 5,
  };
  return Object.fromEntries(
    Object.entries(corpus).map(([s, c]) => {
      const share = (counts[s as Source] ?? 0) / pool;
      return [s, { share, ratio: c === 0 ? NaN : share / (c / 10) }];
    }),
  );
}

Deno.test("sourceRatios() divides each source's share of the pooled top-k by its corpus share", () => {
  const out = sourceRatios(SCORES, DOCS, QUERIES, [1, 2]);
  assert.deepEqual(out.corpus, {
    code: 0.2,
    math: 0.1,
    qa: 0,
    wiki: 0.2,
    trivia: 0,
    definitions: 0,
    web: 0.5,
  });
  const [k1, k2] = out.byK;
  assert.deepEqual([k1.k, k1.taken, k2.k, k2.taken], [1, 1, 2, 2]);
  assert.deepEqual(k1.top, expected({ math: 1, code: 1 }, 2));
  assert.deepEqual([k1.top.math, k1.top.code, k1.top.qa.ratio], [{ share: 0.5, ratio: 5 }, {
    share: 0.5,
    ratio: 2.5,
  }, NaN]);
  assert.deepEqual(k1.bottom, expected({ web: 1, wiki: 1 }, 2));
  assert.deepEqual(k2.top, expected({ code: 3, math: 1 }, 4));
  assert.deepEqual(k2.bottom, expected({ web: 3, wiki: 1 }, 4));
  assert.deepEqual([k2.bottom.web.ratio, k2.bottom.wiki.ratio], [1.5, 1.25]);
});

Deno.test("sourceRatios() gives per-query ratios whose mean is the pooled ratio", () => {
  const [k1, k2] = sourceRatios(SCORES, DOCS, QUERIES, [1, 2]).byK;
  assert.deepEqual(k1.perQuery.map((q) => [q.queryId, q.top.math, q.top.code, q.bottom.web, q.bottom.wiki]), [
    ["q0", 10, 0, 2, 0],
    ["q1", 0, 5, 0, 5],
  ]);
  assert.ok(Number.isNaN(k1.perQuery[0].top.trivia));
  for (const s of ["code", "math", "wiki", "web"] as const) {
    const mean = (k2.perQuery[0].top[s] + k2.perQuery[1].top[s]) / 2;
    assert.ok(Math.abs(mean - k2.top[s].ratio) < 1e-12, s);
  }
});

Deno.test("sourceRatios() caps k at the corpus, where every present source has ratio 1", () => {
  const [k] = sourceRatios(SCORES, DOCS, QUERIES, [50]).byK;
  assert.deepEqual([k.k, k.taken], [50, 10]);
  assert.deepEqual(k.top, expected({ code: 4, math: 2, wiki: 4, web: 10 }, 20));
  assert.deepEqual(k.bottom.web, { share: 0.5, ratio: 1 });
});

Deno.test("sourceRatios() gives NaN shares for an empty group", () => {
  const [k] = sourceRatios(SCORES, DOCS, [], [3]).byK;
  assert.deepEqual(k.perQuery, []);
  assert.deepEqual(k.top.code, { share: NaN, ratio: NaN });
});

Deno.test("sourceRatios() rejects a bad k, a bad row or an unknown source", () => {
  assert.throws(() => sourceRatios(SCORES, DOCS, QUERIES, [0]), /k must be a positive integer, got 0/);
  assert.throws(() => sourceRatios(SCORES, DOCS, [{ row: 2, query: { id: "q" } }], [1]), RangeError);
  const odd = [...DOCS, { source: "forum" as Source }];
  assert.throws(
    () => sourceRatios(new Float64Array(11), odd, [], [1]),
    /document 10 has unknown source "forum"/,
  );
});
