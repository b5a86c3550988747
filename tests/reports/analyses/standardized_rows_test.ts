import assert from "node:assert/strict";
import { standardizedRows } from "../../../reports/analyses/standardized_rows.ts";

Deno.test("standardizedRows() centres each row and scales it to unit norm", () => {
  const z = standardizedRows(new Float32Array([9, 9, 9, 1, 2, 3, 0, 0, 4]), 3, [1, 2]);
  const s = Math.SQRT1_2;
  const expected = [-s, 0, s, -1 / Math.sqrt(6), -1 / Math.sqrt(6), 2 / Math.sqrt(6)];
  expected.forEach((e, i) => assert.ok(Math.abs(z[i] - e) < 1e-15, `z[${i}] = ${z[i]}, expected ${e}`));
});

Deno.test("standardizedRows() gives NaN for a constant row whose mean does not round-trip", () => {
  // 0.1 + 0.1 + 0.1 = 0.30000000000000004 in float64, so a naive mean leaves a tiny non-zero spread.
  const z = standardizedRows(new Float64Array([0.1, 0.1, 0.1]), 3, [0]);
  assert.ok(z.every(Number.isNaN));
});

Deno.test("standardizedRows() rejects bad shapes and rows", () => {
  assert.throws(() => standardizedRows(new Float32Array(4), 1, [0]), RangeError);
  assert.throws(() => standardizedRows(new Float32Array(5), 2, [0]), RangeError);
  assert.throws(() => standardizedRows(new Float32Array(4), 2, [2]), RangeError);
});
