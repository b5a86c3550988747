import assert from "node:assert/strict";
import { plantedFactCheck } from "../../../reports/analyses/planted_facts.ts";

Deno.test("plantedFactCheck() ranks fact documents by descending score", () => {
  // Two queries over five documents.
  const scores = new Float32Array([
    0.5,
    0.1,
    0.9,
    0.3,
    0.2, // q0: order 2, 0, 3, 4, 1
    0.0,
    0.0,
    0.0,
    0.0,
    1.0, // q1: order 4, then ties broken by index 0, 1, 2, 3
  ]);
  const rows = new Map([["q0", 0], ["q1", 1]]);
  const check = plantedFactCheck(scores, 5, rows, [
    { queryId: "q0", factDocuments: [3, 2] },
    { queryId: "q1", factDocuments: [3] },
  ], 1);
  assert.deepEqual(check.perQuery[0].ranks, [1, 3]);
  assert.equal(check.perQuery[0].meanRankFraction, 2 / 5);
  assert.equal(check.perQuery[0].inTopK, true);
  assert.deepEqual(check.perQuery[1].ranks, [5]);
  assert.equal(check.perQuery[1].inTopK, false);
  assert.equal(check.shareInTopK, 0.5);
  // Chance of hitting one of m marked documents in the top 1 of 5: m / 5.
  assert.ok(Math.abs(check.chanceShareInTopK - (2 / 5 + 1 / 5) / 2) < 1e-12);
  assert.equal(check.medianRankFraction, (2 / 5 + 5 / 5) / 2);
});

Deno.test("plantedFactCheck() skips queries without fact documents or scores", () => {
  const check = plantedFactCheck(new Float32Array([1, 2]), 2, new Map([["q", 0]]), [
    { queryId: "q", factDocuments: [] },
    { queryId: "missing", factDocuments: [0] },
  ], 1);
  assert.equal(check.queries, 0);
  assert.equal(check.shareInTopK, 0);
});
