import assert from "node:assert/strict";
import { Rng } from "../../../fixtures/world/rng.ts";
import {
  setLabelPermutationTest,
  signFlipTest,
  twoGroupPermutationTest,
  withinSetMeans,
} from "../../../reports/analyses/query_permutation_tests.ts";
import { welchTTest } from "../../../reports/analyses/welch_t_test.ts";

/** Every way to choose k of n indices. */
function* choose(n: number, k: number, from = 0, picked: number[] = []): Generator<number[]> {
  if (picked.length === k) {
    yield picked;
    return;
  }
  for (let i = from; i < n; i++) yield* choose(n, k, i + 1, [...picked, i]);
}

Deno.test("twoGroupPermutationTest() matches the exact permutation p-value of Welch's t", () => {
  const a = [1.2, 2.5, 3.1], b = [2.9, 4.4, 5.0, 6.3];
  const all = [...a, ...b];
  const observed = welchTTest(a, b).t;
  let extreme = 0, splits = 0;
  for (const pick of choose(7, 3)) {
    const ga = pick.map((i) => all[i]), gb = all.filter((_, i) => !pick.includes(i));
    if (Math.abs(welchTTest(ga, gb).t) >= Math.abs(observed) - 1e-9) extreme++;
    splits++;
  }
  const exact = extreme / splits; // 35 splits
  const t = twoGroupPermutationTest(a, b, 20_000, 3);
  assert.ok(Math.abs(t.statistic - observed) < 1e-9, `${t.statistic} vs ${observed}`);
  assert.ok(Math.abs(t.pValue! - exact) < 0.01, `p ${t.pValue} vs exact ${exact}`);
  assert.equal(t.draws, 20_000);
  assert.equal(t.exact, false);
});

Deno.test("twoGroupPermutationTest() is deterministic, and refuses what it cannot test", () => {
  const rng = new Rng(5);
  const a = Array.from({ length: 10 }, () => rng.float()),
    b = Array.from({ length: 12 }, () => rng.float() + 0.2);
  assert.deepEqual(twoGroupPermutationTest(a, b, 300, 1), twoGroupPermutationTest(a, b, 300, 1));
  assert.notEqual(twoGroupPermutationTest(a, b, 300, 1).pValue, twoGroupPermutationTest(a, b, 300, 2).pValue);
  assert.equal(twoGroupPermutationTest([2, 2], [2, 2, 2], 100, 1).pValue, null, "all equal: no effect");
  assert.equal(twoGroupPermutationTest(a, b, 0, 1).pValue, null, "no draws");
  assert.throws(() => twoGroupPermutationTest([1], [1, 2], 10, 1), RangeError);
  assert.throws(() => twoGroupPermutationTest([1, NaN], [1, 2], 10, 1), RangeError);
});

Deno.test("signFlipTest() enumerates small samples exactly and samples large ones close to exact", () => {
  // n = 3: 8 patterns; with d = [1, 2, 4] only the observed pattern and its mirror reach |t|.
  const small = signFlipTest([2, 3, 5], 1, 1000, 1);
  assert.equal(small.exact, true);
  assert.equal(small.pValue, 2 / 8);
  // n = 12: 4096 patterns, enumerated with 5000 draws allowed, sampled with 2000.
  const rng = new Rng(9);
  const values = Array.from({ length: 12 }, () => rng.float() * 2 - 0.6);
  const exact = signFlipTest(values, 0, 5000, 1);
  const sampled = signFlipTest(values, 0, 2000, 1);
  assert.equal(exact.exact, true);
  assert.equal(exact.draws, 4096);
  assert.equal(sampled.exact, false);
  assert.ok(Math.abs(sampled.pValue! - exact.pValue!) < 0.02, `${sampled.pValue} vs ${exact.pValue}`);
  assert.ok(exact.pValue! > 0 && exact.pValue! < 1);
  assert.equal(signFlipTest([1, 1, 1], 1, 100, 1).pValue, null, "every value at the reference: no effect");
  // More than 31 values: sampled 32 signs per draw.
  const many = signFlipTest(
    Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : -1) * (1 + i / 100)),
    0,
    500,
    1,
  );
  assert.ok(many.pValue! > 0.1, `${many.pValue}`);
});

Deno.test("withinSetMeans() averages each query's r with the rest of its set, leaving NaN out", () => {
  const n = 4;
  const m = new Float64Array([
    1,
    0.6,
    0.2,
    0.9,
    0.6,
    1,
    NaN,
    0.1,
    0.2,
    NaN,
    1,
    0.3,
    0.9,
    0.1,
    0.3,
    1,
  ]);
  const v = withinSetMeans(m, ["slopes", "slopes", "slopes", "factual"]);
  assert.equal(v.length, n);
  assert.ok(Math.abs(v[0] - 0.4) < 1e-12);
  assert.equal(v[1], 0.6, "its NaN pair left out");
  assert.equal(v[2], 0.2);
  assert.ok(Number.isNaN(v[3]), "alone in its set");
  assert.throws(() => withinSetMeans(m, ["a"]), RangeError);
});

Deno.test("setLabelPermutationTest() matches the exact p-value over every relabelling", () => {
  // 3 slopes and 3 factual queries: 20 ways to give 3 of them the slopes label.
  const rng = new Rng(4);
  const n = 6, sets = ["slopes", "slopes", "slopes", "factual", "factual", "factual"];
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    m[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      m[i * n + j] = m[j * n + i] = (i < 3 && j < 3 ? 0.5 : 0) + rng.float() * 0.4 - 0.2;
    }
  }
  const diff = (labels: string[]) => {
    const v = withinSetMeans(m, labels);
    const mean = (set: string) => {
      const x = v.filter((_, i) => labels[i] === set);
      return x.reduce((s, y) => s + y, 0) / x.length;
    };
    return mean("slopes") - mean("factual");
  };
  const observed = diff(sets);
  let extreme = 0, total = 0;
  for (const pick of choose(n, 3)) {
    const labels = sets.map((_, i) => (pick.includes(i) ? "slopes" : "factual"));
    if (Math.abs(diff(labels)) >= Math.abs(observed) - 1e-9) extreme++;
    total++;
  }
  const t = setLabelPermutationTest(m, sets, ["slopes"], ["factual"], 20_000, 7);
  assert.ok(Math.abs(t.statistic - observed) < 1e-12);
  assert.ok(Math.abs(t.pValue! - extreme / total) < 0.01, `p ${t.pValue} vs exact ${extreme}/${total}`);
  assert.equal(t.valuesA.length, 3);
  assert.equal(t.valuesB.length, 3);
  assert.deepEqual(t, setLabelPermutationTest(m, sets, ["slopes"], ["factual"], 20_000, 7));
});

Deno.test("setLabelPermutationTest() leaves constant rows and other sets out", () => {
  const n = 5, sets = ["slopes", "slopes", "slopes", "factual", "factual"];
  const m = new Float64Array(n * n).fill(0.1);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  for (let j = 0; j < n; j++) m[2 * n + j] = m[j * n + 2] = NaN; // query 2: a constant row
  const t = setLabelPermutationTest(m, sets, ["slopes"], ["factual"], 100, 1);
  assert.equal(t.valuesA.length, 2);
  assert.equal(t.statistic, 0);
  const none = setLabelPermutationTest(m, sets, ["linear"], ["factual"], 100, 1);
  assert.equal(none.pValue, null, "no query in A");
});
