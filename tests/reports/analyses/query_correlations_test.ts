import assert from "node:assert/strict";
import { sampleCorrelation } from "simple-statistics";
import { Rng } from "../../../fixtures/world/rng.ts";
import { queryCorrelations } from "../../../reports/analyses/query_correlations.ts";

Deno.test("queryCorrelations() gives Pearson r known in closed form", () => {
  // deno-fmt-ignore
  const scores = new Float32Array([
    1, 2, 3, 4, // q0
    2, 4, 6, 8, // q1 = 2·q0: r = 1
    4, 3, 2, 1, // q2 reversed: r = −1
    1, -1, 1, -1, // q3: centred q0 · q3 = −2, norms √5 and 2: r = −1/√5
  ]);
  const r = queryCorrelations(scores, 4, 4);
  assert.deepEqual([r[0], r[5], r[10], r[15]], [1, 1, 1, 1]);
  assert.ok(Math.abs(r[0 * 4 + 1] - 1) < 1e-15);
  assert.ok(Math.abs(r[0 * 4 + 2] + 1) < 1e-15);
  assert.ok(Math.abs(r[0 * 4 + 3] + 1 / Math.sqrt(5)) < 1e-15);
  assert.ok(Math.abs(r[2 * 4 + 3] - 1 / Math.sqrt(5)) < 1e-15);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.equal(r[i * 4 + j], r[j * 4 + i]);
});

Deno.test("queryCorrelations() matches simple-statistics on random rows", () => {
  const rng = new Rng(3);
  const q = 5, d = 40;
  const scores = Float64Array.from({ length: q * d }, () => rng.float() - 0.5);
  const r = queryCorrelations(scores, q, d);
  const row = (i: number) => Array.from(scores.subarray(i * d, (i + 1) * d));
  for (let i = 0; i < q; i++) {
    for (let j = i + 1; j < q; j++) {
      assert.ok(Math.abs(r[i * q + j] - sampleCorrelation(row(i), row(j))) < 1e-12);
    }
  }
});

Deno.test("queryCorrelations() marks a constant row NaN, diagonal included", () => {
  const r = queryCorrelations(new Float32Array([1, 2, 3, 0.1, 0.1, 0.1]), 2, 3);
  assert.equal(r[0], 1);
  assert.ok(Number.isNaN(r[1]) && Number.isNaN(r[2]) && Number.isNaN(r[3]));
});

Deno.test("queryCorrelations() rejects a score array of the wrong size", () => {
  assert.throws(() => queryCorrelations(new Float32Array(7), 2, 4), RangeError);
  assert.throws(() => queryCorrelations(new Float32Array(2), 2, 1), RangeError);
});
