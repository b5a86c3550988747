import assert from "node:assert/strict";
import {
  crossEntropyBackward,
  crossEntropyForward,
  nextTokenLabels,
} from "../../../engine/reference/cross_entropy.ts";
import { assertGradient, randomArray } from "./gradient_check.ts";

Deno.test("crossEntropyForward() sums weighted −log p and returns softmax rows", () => {
  const logits = new Float64Array([1, 2, 3, 1000, 1000, 0]); // rows [2, vocab 3]
  const { loss, logProbs, probs } = crossEntropyForward(
    logits,
    new Int32Array([2, 0]),
    new Float64Array([1, 0.5]),
    2,
    3,
  );
  const z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assert.ok(Math.abs(logProbs[0] - (3 - z)) < 1e-15);
  assert.ok(Math.abs(logProbs[1] - -Math.LN2) < 1e-15);
  assert.ok(Math.abs(loss - ((z - 3) + 0.5 * Math.LN2)) < 1e-14);
  assert.ok(Math.abs(probs[3] - 0.5) < 1e-15 && probs[5] === 0);
});

Deno.test("crossEntropyBackward() matches finite differences, ignoring rows without a label", () => {
  const [rows, vocab] = [4, 6];
  const logits = randomArray(5, "logits", rows * vocab, 2);
  const labels = new Int32Array([3, -1, 0, 5]);
  const weights = new Float64Array([1, 1, 0.25, 2]);
  const f = () => crossEntropyForward(logits, labels, weights, rows, vocab).loss;
  const { probs } = crossEntropyForward(logits, labels, weights, rows, vocab);
  const dLogits = crossEntropyBackward(probs, labels, weights, rows, vocab);
  assertGradient("dLogits", f, logits, dLogits);
  assert.deepEqual(dLogits.subarray(vocab, 2 * vocab), new Float64Array(vocab));
});

Deno.test("nextTokenLabels() shifts each sequence by one and leaves the last position unlabelled", () => {
  assert.deepEqual(
    nextTokenLabels(new Int32Array([1, 2, 3, 4, 5, 6]), 2, 3),
    new Int32Array([2, 3, -1, 5, 6, -1]),
  );
});

Deno.test("crossEntropyForward() rejects labels outside the vocabulary", () => {
  assert.throws(
    () => crossEntropyForward(new Float64Array(4), new Int32Array([0, 2]), new Float64Array(2), 2, 2),
    {
      name: "RangeError",
      message: "crossEntropyForward(): label 2 at row 1 is outside the vocabulary [0, 2)",
    },
  );
});
