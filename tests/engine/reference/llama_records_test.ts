import assert from "node:assert/strict";
import { LM_HEAD } from "../../../engine/model/param_names.ts";
import type { LinearRecord } from "../../../engine/reference/llama_backward.ts";
import { llamaLoss, llamaLossAndGradients } from "../../../engine/reference/llama_loss.ts";
import { relativeError } from "./gradient_check.ts";
import { randomParams, tinyConfig, TOKENS } from "./tiny_llama.ts";

/** Σ_{rows in [from, to)} g aᵀ, [outDim, inDim]. */
function outerSum(record: LinearRecord, from = 0, to = record.rows): Float64Array {
  const { a, g, inDim, outDim } = record;
  const dw = new Float64Array(outDim * inDim);
  for (let t = from; t < to; t++) {
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) dw[o * inDim + i] += g[t * outDim + o] * a[t * inDim + i];
    }
  }
  return dw;
}

Deno.test("llamaBackward() records every linear layer in forward order, with a [tokens, in] and g [tokens, out]", () => {
  const config = tinyConfig(true);
  const { records, acts } = llamaLossAndGradients(config, randomParams(config), TOKENS);
  const names = [...records.keys()];
  assert.equal(names.length, 2 * 7 + 1);
  assert.equal(names[0], "model.layers.0.self_attn.q_proj.weight");
  assert.equal(names[6], "model.layers.0.mlp.down_proj.weight");
  assert.equal(names[14], LM_HEAD);
  const q = records.get(names[0])!;
  assert.deepEqual([q.rows, q.inDim, q.outDim], [10, 8, 8]);
  assert.equal(q.a, acts.blocks[0].norm1.y);
  assert.equal(q.g.length, 10 * 8);
  assert.equal(records.get("model.layers.1.self_attn.k_proj.weight")!.outDim, 4);
  assert.equal(records.get("model.layers.1.mlp.down_proj.weight")!.a, acts.blocks[1].act);
});

Deno.test("Σ_t g_t a_tᵀ of each record equals the weight gradient", () => {
  for (const tied of [false, true]) {
    const config = tinyConfig(tied);
    const { records, grads } = llamaLossAndGradients(config, randomParams(config), TOKENS);
    for (const [name, record] of records) {
      if (tied && name === LM_HEAD) continue; // the tied embedding also gets the lookup's gradient
      assert.ok(relativeError(outerSum(record), grads.get(name)!) < 1e-13, name);
    }
  }
});

Deno.test("record rows of one sequence give that sequence's own gradient", () => {
  const config = tinyConfig(false);
  const params = randomParams(config);
  const { records } = llamaLossAndGradients(config, params, TOKENS);
  const seqLen = TOKENS.seqLen;
  for (let b = 0; b < TOKENS.batch; b++) {
    const alone = { ids: TOKENS.ids.slice(b * seqLen, (b + 1) * seqLen), batch: 1, seqLen };
    const { grads } = llamaLossAndGradients(config, params, alone);
    for (const [name, record] of records) {
      const perSequence = outerSum(record, b * seqLen, (b + 1) * seqLen);
      assert.ok(relativeError(perSequence, grads.get(name)!) < 1e-12, `${name}, sequence ${b}`);
    }
  }
});

Deno.test("a masked loss depends only on the unmasked positions", () => {
  const config = tinyConfig(false);
  const params = randomParams(config);
  const weights = new Float64Array([0, 0, 1, 1, 0, 0, 0, 0, 1, 0]); // completion targets only
  const labels = new Int32Array([5, 5, 1, 5, -1, 7, 7, 7, 3, 7]);
  const base = llamaLossAndGradients(config, params, TOKENS, { labels, weights });
  assert.equal(base.loss, -(base.logProbs[2] + base.logProbs[3] + base.logProbs[8]));
  const otherLabels = labels.map((label, i) => (weights[i] === 0 ? (label + 3) % 11 : label));
  const other = llamaLossAndGradients(config, params, TOKENS, { labels: otherLabels, weights });
  assert.equal(other.loss, base.loss);
  assert.deepEqual(other.grads, base.grads);
  const lmHeadG = base.records.get(LM_HEAD)!.g;
  for (const row of [0, 1, 4, 5, 6, 7, 9]) {
    assert.ok(lmHeadG.subarray(row * 11, (row + 1) * 11).every((v) => v === 0));
  }
});

Deno.test("llamaLoss() is causal: changing a token leaves earlier positions and other sequences unchanged", () => {
  const config = tinyConfig(true);
  const params = randomParams(config);
  const before = llamaLoss(config, params, TOKENS).acts.logits;
  const ids = TOKENS.ids.slice();
  ids[3] = 0;
  const after = llamaLoss(config, params, { ...TOKENS, ids }).acts.logits;
  const vocab = config.vocabSize;
  assert.deepEqual(after.subarray(0, 3 * vocab), before.subarray(0, 3 * vocab));
  assert.notDeepEqual(after.subarray(3 * vocab, 4 * vocab), before.subarray(3 * vocab, 4 * vocab));
  assert.deepEqual(after.subarray(5 * vocab), before.subarray(5 * vocab));
});

Deno.test("llamaLoss() returns softmax probabilities consistent with the label log-probabilities", () => {
  const config = tinyConfig(false);
  const { probs, logProbs, labels } = llamaLoss(config, randomParams(config), TOKENS);
  for (let row = 0; row < 10; row++) {
    const p = probs.subarray(row * 11, (row + 1) * 11);
    assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-14);
    if (labels[row] >= 0) assert.ok(Math.abs(Math.log(p[labels[row]]) - logProbs[row]) < 1e-12);
    else assert.equal(logProbs[row], 0);
  }
});

Deno.test("llamaBackward() records only the layers its filter selects", () => {
  const config = tinyConfig(false);
  const { records, grads } = llamaLossAndGradients(config, randomParams(config), TOKENS, {}, {
    record: (name) => name.includes(".mlp."),
  });
  assert.deepEqual([...records.keys()].map((name) => name.split(".").slice(2, 5).join(".")), [
    "0.mlp.gate_proj",
    "0.mlp.up_proj",
    "0.mlp.down_proj",
    "1.mlp.gate_proj",
    "1.mlp.up_proj",
    "1.mlp.down_proj",
  ]);
  assert.equal(grads.size, 2 * 9 + 3);
});
