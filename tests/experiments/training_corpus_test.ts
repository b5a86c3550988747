import assert from "node:assert/strict";
import { drillTokens, trainingCorpus } from "../../experiments/train/train_proxy.ts";
import { arithmeticDrills, DRILL_KINDS, drillCount } from "../../experiments/train/arithmetic_drills.ts";
import type { TokenizedCorpus } from "../../experiments/stages/tokenize_stage.ts";
import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";

Deno.test("trainingCorpus() repeats the scored documents and appends the unscored ones once", () => {
  const corpus = {
    documents: { tokens: Int32Array.from([1, 5, 2, 1, 6, 7, 2]), offsets: Int32Array.from([0, 3, 7]) },
    unscored: { tokens: Int32Array.from([1, 9, 2]), offsets: Int32Array.from([0, 3]) },
  } as TokenizedCorpus;
  const out = trainingCorpus(corpus, 2);
  assert.deepEqual([...out.tokens], [1, 5, 2, 1, 6, 7, 2, 1, 5, 2, 1, 6, 7, 2, 1, 9, 2]);
  assert.deepEqual([...out.offsets], [0, 3, 7, 10, 14, 17]);
  const once = trainingCorpus({
    ...corpus,
    unscored: { tokens: new Int32Array(0), offsets: Int32Array.from([0]) },
  }, 1);
  assert.deepEqual([...once.offsets], [0, 3, 7]);
});

Deno.test("trainingCorpus() appends drill sheets after the unscored documents", () => {
  const corpus = {
    documents: { tokens: Int32Array.from([1, 5, 2]), offsets: Int32Array.from([0, 3]) },
    unscored: { tokens: Int32Array.from([1, 9, 2]), offsets: Int32Array.from([0, 3]) },
  } as TokenizedCorpus;
  const drills = { tokens: Int32Array.from([1, 7, 7, 2]), offsets: Int32Array.from([0, 4]) };
  const out = trainingCorpus(corpus, 1, drills);
  assert.deepEqual([...out.tokens], [1, 5, 2, 1, 9, 2, 1, 7, 7, 2]);
  assert.deepEqual([...out.offsets], [0, 3, 6, 10]);
  const none = trainingCorpus(corpus, 1, drillTokens(0, 1, 256, defaultTokenizer()));
  assert.deepEqual([...none.offsets], [0, 3, 6]);
});

Deno.test("drill sheets: right answers, the procedures' operand ranges, within the length limit", () => {
  const sheets = arithmeticDrills(400, 3, 256);
  assert.deepEqual(arithmeticDrills(400, 3, 256), sheets, "a pure function of its arguments");
  assert.notDeepEqual(arithmeticDrills(400, 4, 256), sheets);
  const seen = new Map<string, number>();
  for (const sheet of sheets) {
    assert.ok(sheet.length <= 256 && sheet.length > 200, `sheet of ${sheet.length} characters`);
    for (const line of sheet.split("\n").slice(1)) {
      const m = /^(-?\d+) ([-+*/]) (-?\d+) = (-?\d+)$/.exec(line);
      assert.ok(m, JSON.stringify(line));
      const [x, y, z] = [Number(m[1]), Number(m[3]), Number(m[4])];
      const want = m[2] === "+" ? x + y : m[2] === "-" ? x - y : m[2] === "*" ? x * y : x / y;
      assert.equal(z, want + 0, line); // + 0 turns -0 into 0
      assert.ok(Number.isInteger(z) && !Object.is(z, -0), line);
      seen.set(m[2], (seen.get(m[2]) ?? 0) + 1);
      if (m[2] === "*") assert.ok(x >= 1 && x <= 40 && y >= 1 && y <= 20, line);
      if (m[2] === "/") assert.ok(y !== 0 && Math.abs(y) <= 9 && Math.abs(x) <= 100, line);
      if (m[2] === "-") assert.ok(x >= 0 && x <= 100 && y >= 0 && y <= 40, line);
    }
  }
  // Seven kinds drawn uniformly: + 1/7, - 3/7, * 1/7, / 2/7 of the lines.
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  for (const [op, share] of [["+", 1 / 7], ["-", 3 / 7], ["*", 1 / 7], ["/", 2 / 7]] as const) {
    assert.ok(Math.abs(seen.get(op)! / total - share) < 0.02, `${op}: ${seen.get(op)} of ${total}`);
  }
  assert.equal(DRILL_KINDS.length, 7);
  assert.equal(drillCount(3000, 0.25), 1000);
  assert.equal(drillCount(3000, 0), 0);
  assert.throws(() => drillCount(3000, 1), /share must be in \[0, 1\)/);
  assert.throws(() => arithmeticDrills(1, 1, 20), /maxChars must be at least 40/);
});
