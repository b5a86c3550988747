import assert from "node:assert/strict";
import { embeddingBackward, embeddingForward } from "../../../engine/reference/embedding.ts";
import { assertGradient, dot, randomArray } from "./gradient_check.ts";

Deno.test("embeddingForward() gathers table rows and embeddingBackward() matches finite differences", () => {
  const [vocab, dim] = [5, 3];
  const ids = new Int32Array([4, 0, 4, 2]);
  const table = randomArray(4, "table", vocab * dim);
  const y = embeddingForward(ids, table, vocab, dim);
  assert.deepEqual(y.subarray(0, 3), table.subarray(12, 15));
  const r = randomArray(4, "r", ids.length * dim);
  const dTable = embeddingBackward(ids, r, vocab, dim);
  assertGradient("dTable", () => dot(r, embeddingForward(ids, table, vocab, dim)), table, dTable);
  assert.deepEqual(dTable.subarray(3, 6), new Float64Array(3)); // token 1 unused
});

Deno.test("embeddingForward() rejects ids outside the vocabulary", () => {
  assert.throws(() => embeddingForward(new Int32Array([0, 5]), new Float64Array(10), 5, 2), {
    name: "RangeError",
    message: "embeddingForward(): token id 5 at row 1 is outside the vocabulary [0, 5)",
  });
});
