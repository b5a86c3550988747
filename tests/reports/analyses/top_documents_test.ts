import assert from "node:assert/strict";
import { bottomDocuments, scoreRow, topDocuments } from "../../../reports/analyses/top_documents.ts";

Deno.test("topDocuments() orders by descending score, ties to the lower index", () => {
  const row = new Float32Array([0.2, 0.9, -1, 0.9, 0]);
  assert.deepEqual(topDocuments(row, 3), [1, 3, 0]);
  assert.deepEqual(topDocuments(row, 0), []);
});

Deno.test("bottomDocuments() orders by ascending score, ties to the lower index", () => {
  const row = [2, -4, 0, -4, 7];
  assert.deepEqual(bottomDocuments(row, 3), [1, 3, 2]);
});

Deno.test("topDocuments() and bottomDocuments() cap k at the row length", () => {
  assert.deepEqual(topDocuments([1, 3, 2], 10), [1, 2, 0]);
  assert.deepEqual(bottomDocuments([1, 3, 2], 10), [0, 2, 1]);
});

Deno.test("topDocuments() rejects a bad k or a NaN score", () => {
  assert.throws(() => topDocuments([1, 2], -1), RangeError);
  assert.throws(() => bottomDocuments([1, 2], 1.5), RangeError);
  assert.throws(() => topDocuments([1, NaN], 1), /score 1 is NaN/);
});

Deno.test("scoreRow() returns one row of a row-major matrix", () => {
  const scores = new Float64Array([1, 2, 3, 4, 5, 6]);
  const row = scoreRow(scores, 3, 1);
  assert.deepEqual(Array.from(row), [4, 5, 6]);
  assert.ok(row instanceof Float64Array && row.buffer === scores.buffer);
  assert.deepEqual(scoreRow([1, 2, 3, 4], 2, 0), [1, 2]);
});

Deno.test("scoreRow() rejects a row outside the scores or a bad document count", () => {
  assert.throws(() => scoreRow(new Float32Array(6), 3, 2), RangeError);
  assert.throws(() => scoreRow(new Float32Array(6), 3, -1), RangeError);
  assert.throws(() => scoreRow(new Float32Array(6), 0, 0), /documents must be a positive integer/);
});
