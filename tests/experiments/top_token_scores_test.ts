import assert from "node:assert/strict";
import { joinChunks, scoreTopTokens } from "../../experiments/influence/top_token_scores.ts";

Deno.test("scoreTopTokens() visits each top document once, in batches, and orders pairs by query and rank", async () => {
  // 2 queries × 5 documents; top-2: q0 → d3, d1 (tie with d4 at 0.5 broken by index); q1 → d1, d0.
  const scores = Float64Array.from([0.1, 0.5, -1, 0.9, 0.5, 0.8, 2.0, 0.0, 0.3, -0.2]);
  const calls: number[][] = [];
  const result = await scoreTopTokens(scores, 2, 5, 2, (docs, pairs) => {
    calls.push(docs);
    // Document d has d + 1 tokens; its per-token scores split the pair's score evenly.
    return Promise.resolve(pairs.map(({ query, slot }) => {
      const d = docs[slot];
      return new Float64Array(d + 1).fill(scores[query * 5 + d] / (d + 1));
    }));
  }, 2);
  assert.deepEqual(calls, [[0, 1], [3]]);
  assert.deepEqual(
    result.pairs.map((p) => [p.query, p.document, p.rank, p.length]),
    [[0, 3, 1, 4], [0, 1, 2, 2], [1, 1, 1, 2], [1, 0, 2, 1]],
  );
  assert.deepEqual(result.pairs.map((p) => p.offset), [0, 4, 6, 8]);
  assert.equal(result.values.length, 9);
  assert.ok(result.maxSumDeviation < 1e-15);
});

Deno.test("scoreTopTokens() visits documents by length when given one, with the same result", async () => {
  const scores = Float64Array.from([0.1, 0.5, -1, 0.9, 0.5, 0.8, 2.0, 0.0, 0.3, -0.2]);
  const lengths = [7, 2, 1, 3, 9];
  const run = (calls: number[][]) => (docs: number[], pairs: { query: number; slot: number }[]) => {
    calls.push(docs);
    return Promise.resolve(
      pairs.map(({ query, slot }) =>
        new Float64Array(lengths[docs[slot]]).fill(scores[query * 5 + docs[slot]] / lengths[docs[slot]])
      ),
    );
  };
  const byIndex: number[][] = [], byLength: number[][] = [];
  const a = await scoreTopTokens(scores, 2, 5, 2, run(byIndex), 2);
  const b = await scoreTopTokens(scores, 2, 5, 2, run(byLength), 2, (d) => lengths[d]);
  assert.deepEqual(byIndex, [[0, 1], [3]]);
  assert.deepEqual(byLength, [[1, 3], [0]]);
  assert.deepEqual(b, a);
});

Deno.test("scoreTopTokens() reports how far per-token sums are from the scores", async () => {
  const scores = Float64Array.from([1, 2]);
  const result = await scoreTopTokens(
    scores,
    1,
    2,
    1,
    () => Promise.resolve([Float64Array.from([1.5, 0.25])]),
  );
  assert.equal(result.maxSumDeviation, 0.25);
});

Deno.test("joinChunks() places each chunk's columns after the previous chunk's", () => {
  const a = { scores: Float64Array.from([1, 2, 3, 4]), perLayer: [], norms: new Float64Array(2) };
  const b = { scores: Float64Array.from([5, 6]), perLayer: [], norms: new Float64Array(1) };
  assert.deepEqual([...joinChunks([a, b], 2, 3, (c) => c.scores)], [1, 2, 5, 3, 4, 6]);
});
