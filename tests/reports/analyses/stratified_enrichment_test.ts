import assert from "node:assert/strict";
import { stratifiedEnrichmentTest } from "../../../reports/analyses/stratified_enrichment.ts";

Deno.test("stratifiedEnrichmentTest(): exact expectations from the strata's label rates, a small p for a real enrichment", () => {
  // 8 documents in two strata; the labelled ones are exactly the documents both queries rank top.
  const labels = new Map([["p", Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0])]]);
  const strata = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const t = stratifiedEnrichmentTest(
    [{ top: [0, 1], label: "p" }, { top: [0, 4], label: "p" }],
    labels,
    strata,
    400,
    1,
  );
  assert.deepEqual(t.perQuery, [{ observed: 1, expected: 0.5 }, { observed: 1, expected: 0.375 }]);
  assert.ok(Math.abs(t.statistic - (1 - 0.4375)) < 1e-12);
  // Both queries' top documents labelled: 1/6 · 1/4 of the arrangements give that or more, two-sided.
  assert.ok(t.pValue! > 0.01 && t.pValue! < 0.15, `${t.pValue}`);
  assert.deepEqual(stratifiedEnrichmentTest([{ top: [0, 1], label: "p" }], labels, strata, 400, 1).perQuery, [
    t.perQuery[0],
  ]);
  // Deterministic for a seed.
  assert.deepEqual(
    stratifiedEnrichmentTest(
      [{ top: [0, 1], label: "p" }, { top: [0, 4], label: "p" }],
      labels,
      strata,
      400,
      1,
    ),
    t,
  );
});

Deno.test("stratifiedEnrichmentTest(): a label that a stratum explains is no enrichment (nothing to test)", () => {
  // Every document of stratum 0 is labelled, none of stratum 1: the top documents being labelled is the
  // stratum's doing, and the null has one arrangement.
  const labels = new Map([["p", Uint8Array.from([1, 1, 1, 0, 0, 0])]]);
  const t = stratifiedEnrichmentTest(
    [{ top: [0, 1], label: "p" }, { top: [1, 2], label: "p" }],
    labels,
    Int32Array.from([0, 0, 0, 1, 1, 1]),
    100,
    1,
  );
  assert.equal(t.statistic, 0);
  assert.equal(t.pValue, null);
});

Deno.test("stratifiedEnrichmentTest(): size with every query sharing the same top documents", () => {
  // 40 queries all ranking the same 10 random documents top; labels random and unrelated to the ranking.
  // Over 200 seeds a two-sided p < 0.05 comes out at most ~5% of the time (here: at most 16/200).
  let rejections = 0;
  for (let seed = 1; seed <= 200; seed++) {
    let x = seed * 2654435761 >>> 0;
    const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const n = 120;
    const label = Uint8Array.from({ length: n }, () => next() < 0.3 ? 1 : 0);
    const strata = Int32Array.from({ length: n }, () => Math.floor(next() * 3));
    const top = Array.from({ length: 10 }, () => Math.floor(next() * n));
    const queries = Array.from({ length: 40 }, () => ({ top, label: "l" }));
    const t = stratifiedEnrichmentTest(queries, new Map([["l", label]]), strata, 199, seed);
    if (t.pValue !== null && t.pValue < 0.05) rejections++;
  }
  assert.ok(rejections <= 16, `${rejections}/200`);
});
