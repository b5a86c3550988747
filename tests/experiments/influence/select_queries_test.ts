import assert from "node:assert/strict";
import { type AnsweredQuery, selectQueries } from "../../../experiments/influence/select_queries.ts";

const pool = (right: number, wrong: number): AnsweredQuery[] => [
  ...Array.from({ length: right + wrong }, (_, i) => ({
    id: `f${i}`,
    set: "factual",
    prompt: "",
    completion: "",
    // Right and wrong answers interleaved while both last.
    correct: i % 2 === 0 ? i / 2 < right : (i - 1) / 2 >= wrong,
  })),
  { id: "s0", set: "slopes", prompt: "", completion: "", correct: false },
];

Deno.test("selectQueries() draws the paper's 20 right and 20 wrong factual queries when the pool allows", () => {
  const { queries, factual } = selectQueries(pool(30, 30));
  assert.equal(factual.paperDraw, true);
  assert.equal(factual.keptRight, 20);
  assert.equal(factual.keptWrong, 20);
  assert.equal(factual.chosen.length, 40);
  assert.equal(queries.length, 41, "every non-factual query is kept");
  const right = queries.filter((q) => q.set === "factual" && q.correct).map((q) => q.id);
  assert.deepEqual(right.slice(0, 3), ["f0", "f2", "f4"], "the first in pool order");
});

Deno.test("selectQueries() keeps what the pool has when it is short of one kind, and records it", () => {
  const { factual } = selectQueries(pool(3, 57));
  assert.equal(factual.paperDraw, false);
  assert.equal(factual.keptRight, 3);
  assert.equal(factual.keptWrong, 20);
  assert.equal(factual.balanced, false);
  assert.equal(selectQueries(pool(0, 8)).factual.chosen.length, 8);
});
