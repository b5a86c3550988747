import assert from "node:assert/strict";
import { BM25_DEFAULTS, bm25Scores, bm25Terms } from "../../../reports/analyses/bm25.ts";

Deno.test("bm25Terms() keeps identifiers whole and integers with their attached sign", () => {
  assert.deepEqual(bm25Terms("Slope = (y2 - y1) / 4 = -3"), ["slope", "y2", "y1", "4", "-3"]);
  assert.deepEqual(bm25Terms("x2-x1 = 26 - 22"), ["x2", "x1", "26", "22"]);
  assert.deepEqual(bm25Terms("The river Traza is 2869 km long."), [
    "the",
    "river",
    "traza",
    "is",
    "2869",
    "km",
    "long",
  ]);
});

Deno.test("bm25Scores() matches a hand computation of Okapi BM25", () => {
  const docs = ["a b b", "b c", "c c c d"];
  const got = bm25Scores(["b d"], docs);
  const { k1, b } = BM25_DEFAULTS;
  const avgdl = (3 + 2 + 4) / 3;
  const idf = (n: number) => Math.log(1 + (3 - n + 0.5) / (n + 0.5));
  const term = (f: number, len: number, n: number) =>
    idf(n) * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avgdl));
  const want = [term(2, 3, 2), term(1, 2, 2), term(1, 4, 1)];
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-12, `${got[i]} vs ${w}`));
});

Deno.test("bm25Scores() counts whole terms: the number 1 does not match 12 or x1", () => {
  const s = bm25Scores(["1"], ["12 21 x1", "1 + 1", "nothing"]);
  assert.equal(s[0], 0);
  assert.ok(s[1] > 0);
  assert.equal(s[2], 0);
  // A repeated query term counts once; rarer terms weigh more.
  const t = bm25Scores(["rare common", "rare rare common"], ["rare common", "common", "common", "common"]);
  assert.equal(t[0], t[4]);
  const u = bm25Scores(["rare", "common"], ["rare common", "common", "common", "common"]);
  assert.ok(u[0] > u[4]);
});
