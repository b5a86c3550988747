import assert from "node:assert/strict";
import { klToTargets, logSoftmaxRows } from "../../../../engine/influence/counterfactual/kl_to_targets.ts";
import { randomArray } from "../../reference/gradient_check.ts";

const vocab = 5, rows = 3;
const logits = randomArray(1, "logits", rows * vocab, 2);
const targets = logSoftmaxRows(randomArray(1, "targets", rows * vocab, 2), vocab);
const weights = [1, 0.5, 0];

Deno.test("klToTargets: the logit gradient matches central differences", () => {
  const { dLogits } = klToTargets(logits, targets, weights, vocab);
  const h = 1e-6;
  for (let k = 0; k < logits.length; k++) {
    const plus = logits.slice(), minus = logits.slice();
    plus[k] += h;
    minus[k] -= h;
    const numeric =
      (klToTargets(plus, targets, weights, vocab).kl - klToTargets(minus, targets, weights, vocab).kl) /
      (2 * h);
    assert.ok(Math.abs(numeric - dLogits[k]) < 1e-8, `logit ${k}: ${numeric} vs ${dLogits[k]}`);
  }
});

Deno.test("klToTargets: zero at the targets, positive elsewhere, rows of weight 0 left out", () => {
  const own = logSoftmaxRows(logits, vocab);
  assert.ok(Math.abs(klToTargets(logits, own, weights, vocab).kl) < 1e-15);
  const { kl, dLogits } = klToTargets(logits, targets, weights, vocab);
  assert.ok(kl > 0);
  assert.deepEqual([...dLogits.subarray(2 * vocab)], new Array(vocab).fill(0));
  assert.throws(() => klToTargets(logits, targets, [1, 1], vocab), /expected 2 rows/);
});
