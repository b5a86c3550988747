import assert from "node:assert/strict";
import { correlationSummary } from "../../../reports/analyses/correlation_summary.ts";

Deno.test("correlationSummary() groups upper-triangle pairs by set", () => {
  const sets = ["f", "s", "c", "s", "f"];
  const n = sets.length;
  // r(i, j) = 10·i + j for i < j, mirrored; diagonal 1.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * n + j] = i === j ? 1 : 10 * Math.min(i, j) + Math.max(i, j);
  }
  const s = correlationSummary(m, sets);
  assert.deepEqual(s.within, { f: [4], s: [13], c: [] });
  // Keys follow first appearance (f, s, c), whatever the row order of a pair.
  assert.deepEqual(s.between, { "f|s": [1, 3, 14, 34], "f|c": [2, 24], "s|c": [12, 23] });
});

Deno.test("correlationSummary() skips NaN pairs", () => {
  const m = new Float64Array([1, NaN, 0.5, NaN, NaN, NaN, 0.5, NaN, 1]);
  const s = correlationSummary(m, ["a", "a", "b"]);
  assert.deepEqual(s.within, { a: [], b: [] });
  assert.deepEqual(s.between, { "a|b": [0.5] });
});

Deno.test("correlationSummary() rejects a matrix of the wrong size", () => {
  assert.throws(() => correlationSummary(new Float64Array(4), ["a", "b", "c"]), RangeError);
});
