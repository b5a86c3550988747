import assert from "node:assert/strict";
import { crossSetupCorrelations } from "../../../reports/analyses/cross_setup_correlations.ts";

Deno.test("crossSetupCorrelations() correlates each pair's rows across setups", () => {
  const a = new Float32Array([1, 2, 3, 4, /* x */ 5, 5, 5, 5 /* flat */]);
  const b = new Float64Array([1, -1, 1, -1, /* y */ 8, 6, 4, 2 /* x reversed, doubled */]);
  const rowsA = new Map([["x", 0], ["flat", 1]]);
  const rowsB = new Map([["y", 0], ["x", 1]]);
  const out = crossSetupCorrelations(a, rowsA, b, rowsB, 4, [
    { a: "x", b: "x" },
    { a: "x", b: "y" },
    { a: "flat", b: "x" },
  ]);
  assert.deepEqual(out.map((p) => [p.a, p.b]), [["x", "x"], ["x", "y"], ["flat", "x"]]);
  assert.ok(Math.abs(out[0].r + 1) < 1e-15);
  assert.ok(Math.abs(out[1].r + 1 / Math.sqrt(5)) < 1e-15);
  assert.ok(Number.isNaN(out[2].r));
});

Deno.test("crossSetupCorrelations() rejects a query without a row", () => {
  const rows = new Map([["q", 0]]);
  const s = new Float32Array([1, 2, 3]);
  assert.throws(() => crossSetupCorrelations(s, rows, s, rows, 3, [{ a: "q", b: "r" }]), RangeError);
  assert.throws(
    () => crossSetupCorrelations(s, new Map([["q", 1]]), s, rows, 3, [{ a: "q", b: "q" }]),
    RangeError,
  );
});
