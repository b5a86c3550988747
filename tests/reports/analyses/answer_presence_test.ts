import assert from "node:assert/strict";
import { answerPresence, type PresenceQuery } from "../../../reports/analyses/answer_presence.ts";
import type { Document, ProcedureLabel, Query, Step } from "../../../fixtures/world/types.ts";

const label = (procedure: ProcedureLabel["procedure"], steps: Step[]): ProcedureLabel => ({
  procedure,
  format: "worked",
  operands: {},
  steps,
  answer: steps.at(-1)!.value,
});
const doc = (
  id: string,
  text: string,
  numbers: number[],
  facts: string[] = [],
  procedures: ProcedureLabel[] = [],
) => ({ id, source: "web", text, procedures, facts, numbers }) satisfies Document;

// An eight-document world.
const DOCS: Document[] = [
  doc("d0", "The capital of Veltor is Marsk, founded in 1823.", [1823], ["fact-1", "fact-2"]),
  doc("d1", "Marskland lies east; marsk is a word. 18234 people live there.", [18234]),
  doc("d2", "dy = 7 - 1 = 6, dx = 4 - 1 = 3, slope = 6 / 3 = 2", [7, 1, 6, 4, 1, 3, 6, 3, 2], [], [
    label("slope", [{ name: "dy", value: 6 }, { name: "dx", value: 3 }, { name: "answer", value: 2 }]),
  ]),
  doc("d3", "x = 6; y = 3", [6, 3]),
  doc("d4", "A 1 by 2 rectangle has area 2.", [1, 2, 2], [], [
    label("rect_area", [{ name: "answer", value: 2 }]),
  ]),
  doc("d5", "It was -1823 degrees.", [-1823]),
  doc("d6", "dy = 6 here.", [6], [], [label("slope", [{ name: "dy", value: 6 }])]),
  doc("d7", "dx = 3 there.", [3], [], [label("slope", [{ name: "dx", value: 3 }])]),
];

const query = (id: string, set: Query["set"], gold: string, steps: Step[] = [], factId?: string): Query => ({
  id,
  set,
  prompt: "",
  completion: "",
  gold,
  goldNumber: /^-?\d+$/.test(gold) ? Number(gold) : null,
  steps,
  factId,
});
const SLOPE = [{ name: "dy", value: 6 }, { name: "dx", value: 3 }, { name: "answer", value: 2 }];

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

function run(cases: [Query, number[], boolean | null][], k = 2) {
  const queries: PresenceQuery[] = cases.map(([q, , correct], row) => ({ row, query: q, correct }));
  return answerPresence(scoresFor(cases.map(([, top]) => top)), DOCS, queries, k);
}

Deno.test("answerPresence() finds factual answers as case-sensitive whole words and numbers", () => {
  const out = run([
    [query("f0", "factual", "Marsk", [], "fact-1"), [0, 1], true],
    [query("f1", "factual", "Marsk", [], "fact-1"), [1, 5], true], // "Marskland", "marsk"
    [query("f2", "factual", "1823", [{ name: "answer", value: 1823 }], "fact-2"), [5, 1], true], // "-1823", "18234"
    [query("f3", "factual", "1823", [{ name: "answer", value: 1823 }], "fact-2"), [4, 0], true],
  ]);
  assert.deepEqual(out.perQuery.map((p) => [p.text, p.truth, p.stepsFoundText, p.stepsTotal]), [
    [true, true, 1, 1],
    [false, false, 0, 1],
    [false, false, 0, 1],
    [true, true, 1, 1],
  ]);
  assert.equal(out.k, 2);
});

Deno.test("answerPresence() needs every reasoning step, possibly across documents", () => {
  const out = run([
    [query("s0", "slopes", "2", SLOPE), [3, 4], true], // 6, 3 in d3; 2 in d4 (a rect_area label)
    [query("s1", "slopes", "2", SLOPE), [2, 0], false], // d2 demonstrates every step
    [query("s2", "slopes", "2", SLOPE), [6, 4], null], // dy in a slope label; dx missing
    [
      query("s3", "slopes", "-2", [{ name: "dy", value: -8 }, { name: "dx", value: 4 }, {
        name: "answer",
        value: -2,
      }]),
      [
        2,
        3,
      ],
      null,
    ],
  ]);
  assert.deepEqual(out.perQuery.map((p) => [p.text, p.truth, p.stepsFoundText, p.stepsTotal]), [
    [true, false, 3, 3],
    [true, true, 3, 3],
    [false, false, 2, 3],
    [false, false, 1, 3],
  ]);
});

Deno.test("answerPresence() finds ground-truth steps across documents only in labels of the query's procedure", () => {
  const arithmetic = query("a0", "arithmetic", "2", [{ name: "answer", value: 2 }]);
  const slopeSteps = query("s4", "slopes", "3", [{ name: "dy", value: 6 }, { name: "dx", value: 3 }]);
  const misnamed = query("s5", "slopes", "6", [{ name: "dx", value: 6 }]);
  const out = run([[arithmetic, [4, 2], true], [slopeSteps, [6, 7], true], [misnamed, [6, 3], true]]);
  // a0: the value 2 is labelled answer only in rect_area and slope demonstrations; s4: dy in d6, dx in d7;
  // s5: 6 is labelled dy, not dx.
  assert.deepEqual(out.perQuery.map((p) => [p.text, p.truth]), [[true, false], [true, true], [true, false]]);
});

Deno.test("answerPresence() searches controls by text only", () => {
  const out = run([
    [query("fc0", "factual_control", "Quillon"), [0, 1], false],
    [query("rc0", "reasoning_control", "-1823", [{ name: "answer", value: -1823 }]), [5, 0], true],
    [query("rc1", "reasoning_control", "18", [{ name: "answer", value: 18 }]), [0, 1], false],
  ]);
  assert.deepEqual(
    out.perQuery.map((p) => [p.queryId, p.set, p.correct, p.text, p.truth, p.stepsFoundText]),
    [
      ["fc0", "factual_control", false, false, null, 0],
      ["rc0", "reasoning_control", true, true, null, 1],
      ["rc1", "reasoning_control", false, false, null, 0],
    ],
  );
});

Deno.test("answerPresence() tallies per set, split by correctness", () => {
  const out = run([
    [query("f0", "factual", "Marsk", [], "fact-1"), [0, 1], true],
    [query("f1", "factual", "Marsk", [], "fact-1"), [1, 5], false],
    [query("s0", "slopes", "2", SLOPE), [3, 4], true],
    [query("s1", "slopes", "2", SLOPE), [2, 0], false],
    [query("s2", "slopes", "2", SLOPE), [6, 4], null],
    [query("fc0", "factual_control", "Quillon"), [0, 1], false],
  ]);
  const t = (queries: number, text: number, truthQueries: number, truth: number) => ({
    queries,
    text,
    textShare: queries === 0 ? NaN : text / queries,
    truthQueries,
    truth,
    truthShare: truthQueries === 0 ? NaN : truth / truthQueries,
  });
  assert.deepEqual(out.bySet, {
    factual: { all: t(2, 1, 2, 1), correct: t(1, 1, 1, 1), incorrect: t(1, 0, 1, 0) },
    slopes: { all: t(3, 2, 3, 1), correct: t(1, 1, 1, 0), incorrect: t(1, 1, 1, 1) },
    factual_control: { all: t(1, 0, 0, 0), correct: t(0, 0, 0, 0), incorrect: t(1, 0, 0, 0) },
  });
  assert.deepEqual(Object.keys(out.bySet), ["factual", "slopes", "factual_control"]);
});

Deno.test("answerPresence() caps k at the number of documents", () => {
  const out = run([[query("s0", "slopes", "-2", [{ name: "answer", value: -2 }]), [], null]], 100);
  assert.equal(out.k, DOCS.length);
  assert.equal(out.perQuery[0].text, false);
});

Deno.test("answerPresence() rejects a reasoning query without steps, a bad k or a bad row", () => {
  assert.throws(() => run([[query("s0", "slopes", "2"), [0], null]]), /reasoning query s0 has no steps/);
  assert.throws(() => run([[query("f0", "factual", "Marsk"), [0], null]], -1), RangeError);
  const q = query("f0", "factual", "Marsk");
  assert.throws(
    () => answerPresence(new Float64Array(7), DOCS, [{ row: 1, query: q, correct: null }], 1),
    RangeError,
  );
});
