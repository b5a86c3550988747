import assert from "node:assert/strict";
import { procedureMatch } from "../../../reports/analyses/procedure_match.ts";
import type { Document, Format, ProcedureLabel, Query } from "../../../fixtures/world/types.ts";

const label = (procedure: ProcedureLabel["procedure"], format: Format): ProcedureLabel => ({
  procedure,
  format,
  operands: {},
  steps: [],
  answer: null,
});
const doc = (id: string, procedures: ProcedureLabel[] = []) =>
  ({ id, source: "math", text: "", procedures, facts: [], numbers: [] }) satisfies Document;

// Slope: d0 (code and worked), d1 (formula), d5 (worked) → 3/8. Arithmetic: d2 → 1/8. Linear: none.
const DOCS: Document[] = [
  doc("d0", [label("slope", "code"), label("slope", "worked")]),
  doc("d1", [label("slope", "formula"), label("percent", "worked")]),
  doc("d2", [label("arithmetic", "worked")]),
  doc("d3"),
  doc("d4"),
  doc("d5", [label("slope", "worked"), label("slope", "worked")]),
  doc("d6", [label("rect_area", "code")]),
  doc("d7"),
];

const query = (id: string, set: Query["set"]): Query => ({
  id,
  set,
  prompt: "",
  completion: "",
  gold: "1",
  goldNumber: 1,
  steps: [{ name: "answer", value: 1 }],
});

/** Scores whose row r ranks `tops[r]` first, in order, and every other document below them. */
function scoresFor(tops: number[][]): Float64Array {
  const n = DOCS.length;
  const scores = new Float64Array(tops.length * n);
  tops.forEach((top, r) => {
    for (let d = 0; d < n; d++) scores[r * n + d] = -0.01 * (d + 1);
    top.forEach((d, i) => (scores[r * n + d] = 10 - i));
  });
  return scores;
}

function run(cases: [Query, number[]][], k: number) {
  const scores = scoresFor(cases.map(([, top]) => top));
  return procedureMatch(scores, DOCS, cases.map(([q], row) => ({ row, query: q })), k);
}

Deno.test("procedureMatch() counts top-k documents demonstrating the query's procedure, by format", () => {
  const out = run([[query("s0", "slopes"), [0, 1, 3, 2]]], 4);
  assert.deepEqual(out.perQuery, [{
    queryId: "s0",
    set: "slopes",
    procedure: "slope",
    k: 4,
    matching: 2,
    byFormat: { code: 1, worked: 1, formula: 1 },
    shareTopK: 0.5,
    baseRate: 3 / 8,
    baseRateByFormat: { code: 1 / 8, worked: 2 / 8, formula: 1 / 8 },
    ratio: 4 / 3,
    anyInTopK: true,
    otherProcedure: 2, // d1 (percent) and d2 (arithmetic)
    otherBaseRate: 3 / 8, // d1, d2, d6
  }]);
});

Deno.test("procedureMatch() reports queries without a matching document and procedures absent from the corpus", () => {
  const out = run([
    [query("s1", "slopes"), [3, 4, 7, 6]],
    [query("a0", "arithmetic"), [2, 3, 4, 7]],
    [query("l0", "linear"), [0, 2, 3, 4]],
  ], 4);
  assert.deepEqual(
    out.perQuery.map((p) => [p.matching, p.shareTopK, p.baseRate, p.ratio, p.anyInTopK, p.otherProcedure]),
    [
      [0, 0, 3 / 8, 0, false, 1],
      [1, 0.25, 1 / 8, 2, true, 0],
      [0, 0, 0, NaN, false, 2],
    ],
  );
  assert.deepEqual(out.perQuery[1].byFormat, { code: 0, worked: 1, formula: 0 });
  assert.equal(out.perQuery[1].otherBaseRate, 4 / 8); // d0, d1, d5, d6
});

Deno.test("procedureMatch() skips non-reasoning queries and summarises per set", () => {
  const out = run([
    [query("f0", "factual"), [0]],
    [query("s0", "slopes"), [0, 1, 3, 2]],
    [query("s1", "slopes"), [3, 4, 7, 6]],
    [query("rc0", "reasoning_control"), [0]],
    [query("a0", "arithmetic"), [2, 3, 4, 7]],
  ], 4);
  assert.deepEqual(out.perQuery.map((p) => p.queryId), ["s0", "s1", "a0"]);
  assert.deepEqual(out.bySet, {
    slopes: { queries: 2, anyInTopK: 1, meanShareTopK: 0.25, baseRate: 3 / 8 },
    arithmetic: { queries: 1, anyInTopK: 1, meanShareTopK: 0.25, baseRate: 1 / 8 },
  });
});

Deno.test("procedureMatch() caps k at the number of documents", () => {
  const [p] = run([[query("s0", "slopes"), []]], 20).perQuery;
  assert.deepEqual([p.k, p.matching, p.shareTopK, p.ratio], [8, 3, 3 / 8, 1]);
  assert.deepEqual(p.byFormat, { code: 1, worked: 2, formula: 1 });
});

Deno.test("procedureMatch() rejects a bad k or row", () => {
  assert.throws(() => run([[query("s0", "slopes"), []]], -2), RangeError);
  const q = query("s0", "slopes");
  assert.throws(() => procedureMatch(new Float64Array(8), DOCS, [{ row: 3, query: q }], 1), RangeError);
});
