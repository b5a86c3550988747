import assert from "node:assert/strict";
import { accuracyBySet, isCorrect } from "../../../reports/analyses/mod.ts";

Deno.test("isCorrect() compares a numeric query's final number with goldNumber", () => {
  const slope = { gold: "-4", goldNumber: -4 };
  const worked = "\ny2 - y1 = 8 - 24 = -16\nx2 - x1 = 5 - 1 = 4\nSlope = -16 / 4 = -4\nThe answer is -4.";
  assert.equal(isCorrect(worked, slope), true);
  assert.equal(isCorrect("\nSlope = -16 / 4 = -4\nThe answer is 4.", slope), false);
  assert.equal(isCorrect("\nThe answer is -4 (from -16 / 4).", slope), false, "only the final number counts");
  assert.equal(isCorrect("\nKralus Stumitha was born in 1,487.", { gold: "1487", goldNumber: 1487 }), true);
  assert.equal(isCorrect("\nI do not know.", { gold: "1487", goldNumber: 1487 }), false);
});

Deno.test("isCorrect() finds a non-numeric gold answer as whole words, ignoring case and spacing", () => {
  const sea = { gold: "Zonum Sea", goldNumber: null };
  assert.equal(isCorrect("\nThe river Quokimith flows into the Zonum Sea.", sea), true);
  assert.equal(isCorrect("\nIt flows into the zonum\n sea", sea), true);
  assert.equal(isCorrect("\nIt flows into the Zonum Seas.", sea), false);
  assert.equal(isCorrect("\nIt flows into the Kreiputh Sea.", sea), false);
  const founder = { gold: "Seidobis Kuthogos", goldNumber: null };
  assert.equal(isCorrect("\nThe city of Quokastan was founded by Seidobis Kuthogos.", founder), true);
  assert.equal(isCorrect("\nFounded by Seidobis Kuthogosi.", founder), false);
  assert.equal(
    isCorrect("\nA (b) c.", { gold: "(b)", goldNumber: null }),
    true,
    "regex characters are literal",
  );
  assert.equal(isCorrect("\nAnything.", { gold: " ", goldNumber: null }), false);
});

Deno.test("accuracyBySet() tallies correct and total per set in order of appearance", () => {
  const acc = accuracyBySet([
    { set: "factual", correct: true },
    { set: "arithmetic", correct: false },
    { set: "factual", correct: false },
    { set: "factual", correct: true },
  ]);
  assert.deepEqual(Object.keys(acc), ["factual", "arithmetic"]);
  assert.deepEqual(acc.factual, { correct: 2, total: 3, accuracy: 2 / 3 });
  assert.deepEqual(acc.arithmetic, { correct: 0, total: 1, accuracy: 0 });
  assert.deepEqual(accuracyBySet([]), {});
});
