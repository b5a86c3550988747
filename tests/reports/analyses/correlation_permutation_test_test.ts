import assert from "node:assert/strict";
import { Rng } from "../../../fixtures/world/rng.ts";
import { correlationPermutationTest } from "../../../reports/analyses/correlation_permutation_test.ts";

Deno.test("correlationPermutationTest() counts null draws exactly on two documents", () => {
  // With two documents every r is ±1: a shuffle either keeps the order (same r) or swaps it (−r).
  const scores = new Float32Array([1, 2, /* */ 3, 5, /* */ 7, 6]);
  const pairs: [number, number][] = [[0, 1], [0, 2]]; // r = 1 and r = −1: observed mean 0
  const permutations = 200, seed = 42;
  const result = correlationPermutationTest(scores, 2, pairs, permutations, seed);
  // Replay the stream: each shuffle of [0, 1] draws j = int(0, 1) once; j = 0 swaps.
  const rng = new Rng(seed);
  let above = 0, sum = 0;
  const nulls: number[] = [];
  for (let k = 0; k < permutations; k++) {
    const first = rng.int(0, 1) === 1 ? 1 : -1, second = rng.int(0, 1) === 1 ? -1 : 1;
    const m = (first + second) / 2;
    nulls.push(m);
    sum += m;
    if (m >= 0) above++;
  }
  const mean = sum / permutations;
  const sd = Math.sqrt(nulls.reduce((s, v) => s + (v - mean) ** 2, 0) / (permutations - 1));
  assert.equal(result.observed, 0);
  assert.equal(result.pValue, (1 + above) / (1 + permutations));
  assert.ok(above > 100 && above < 200, `${above} of ${permutations} null means ≥ 0`); // about 3/4
  assert.ok(Math.abs(result.nullMean - mean) < 1e-15);
  assert.ok(Math.abs(result.nullSd - sd) < 1e-12);
});

Deno.test("correlationPermutationTest() null has mean 0 and variance 1/(documents − 1)", () => {
  // Over uniform shuffles, r between fixed rows has mean 0 and variance exactly 1/(n − 1).
  const scores = new Float64Array([1, 2, 3, 4, 5, /* */ 2, 1, 4, 3, 5]);
  const result = correlationPermutationTest(scores, 5, [[0, 1]], 20000, 7);
  assert.ok(Math.abs(result.observed - 0.8) < 1e-14, `observed ${result.observed}`); // centred dot 8, norms √10 · √10
  assert.ok(Math.abs(result.nullMean) < 0.015, `null mean ${result.nullMean}`);
  assert.ok(Math.abs(result.nullSd - 0.5) < 0.015, `null sd ${result.nullSd}`);
  // Exactly 8 of the 120 orders of the second row reach r ≥ 0.8: p → 1/15 (sd of the estimate ≈ 0.0018).
  assert.ok(Math.abs(result.pValue - 1 / 15) < 0.007, `p = ${result.pValue}`);
});

Deno.test("correlationPermutationTest() is deterministic for a seed", () => {
  const rng = new Rng(1);
  const scores = Float64Array.from({ length: 3 * 30 }, () => rng.float());
  const run = (seed: number) => correlationPermutationTest(scores, 30, [[0, 1], [1, 2]], 300, seed);
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5).nullMean, run(6).nullMean);
});

Deno.test("correlationPermutationTest() rejects constant rows, no pairs and bad counts", () => {
  const scores = new Float32Array([1, 2, 3, 4, 4, 4]);
  assert.throws(() => correlationPermutationTest(scores, 3, [[0, 1]], 10, 1), RangeError);
  assert.throws(() => correlationPermutationTest(scores, 3, [], 10, 1), RangeError);
  assert.throws(() => correlationPermutationTest(scores, 3, [[0, 0]], 0, 1), RangeError);
});
