import assert from "node:assert/strict";
import {
  applicabilityGates,
  factualDraw,
  type GradedCompletion,
  PAPER_FACTUAL_DRAW,
} from "../../../reports/analyses/applicability.ts";

const settings = { minAccuracy: 0.8, minDistinctShare: 0.9 };
const graded = (set: string, n: number, right: number, texts: (i: number) => string): GradedCompletion[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${set}-${i}`, set, completion: texts(i), correct: i < right }));

Deno.test("applicabilityGates() gates reasoning sets on accuracy and every set on distinct completions", () => {
  const all = [
    ...graded("slopes", 20, 16, (i) => `chain ${i}`), // 80%, all distinct: passes
    ...graded("linear", 20, 15, (i) => `chain ${i}`), // 75%: fails accuracy
    ...graded("arithmetic", 20, 20, (i) => `chain ${i % 17}`), // 17 distinct of 20 (85%): fails
    ...graded("factual", 30, 0, (i) => `answer ${i}`), // 0% but not gated on accuracy
  ];
  const gates = applicabilityGates(all, all.map((g) => g.id), settings);
  assert.equal(gates.slopes.applicable, true);
  assert.equal(gates.slopes.reason, null);
  assert.equal(gates.linear.applicable, false);
  assert.equal(gates.linear.reason, "linear: 15/20 answered right (75%), below 80%");
  assert.equal(gates.arithmetic.applicable, false);
  assert.equal(gates.arithmetic.reason, "arithmetic: 17 distinct completions of 20 (85%), below 90%");
  assert.equal(gates.factual.accuracyGated, false);
  assert.equal(gates.factual.applicable, true);
  assert.equal(gates.factual.accuracy, 0);
});

Deno.test("applicabilityGates() counts distinct completions among the scored queries only", () => {
  // The pool repeats an answer, but the drawn queries do not.
  const pool = graded("factual", 10, 5, (i) => (i < 6 ? `answer ${i}` : "answer 0"));
  const drawn = pool.slice(0, 6).map((g) => g.id);
  assert.equal(applicabilityGates(pool, drawn, settings).factual.distinctShare, 1);
  assert.equal(applicabilityGates(pool, pool.map((g) => g.id), settings).factual.applicable, false);
  assert.throws(() => applicabilityGates(pool, ["missing"], settings), /missing/);
});

Deno.test("factualDraw() says whether the factual queries are the paper's 20 + 20", () => {
  const pool = graded("factual", 60, 25, (i) => `${i}`);
  const paper = [...pool.slice(0, 20), ...pool.slice(25, 45)].map((g) => g.id);
  const d = factualDraw(pool, paper)!;
  assert.equal(d.paperDraw, true);
  assert.equal(d.right, PAPER_FACTUAL_DRAW);
  assert.equal(d.wrong, PAPER_FACTUAL_DRAW);
  assert.equal(d.note, "factual: 20 answered right and 20 wrong (the paper's draw)");
  const short = factualDraw(pool, pool.slice(0, 20).map((g) => g.id))!;
  assert.equal(short.paperDraw, false);
  assert.equal(
    short.note,
    "factual: 20 answered right and 0 wrong (the paper: 20 and 20; the pool of 60 has 25 right and 35 wrong)",
  );
  assert.equal(factualDraw(graded("slopes", 3, 1, String), []), null);
});
