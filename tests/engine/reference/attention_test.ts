import assert from "node:assert/strict";
import {
  attentionBackward,
  type AttentionDims,
  attentionForward,
} from "../../../engine/reference/attention.ts";
import { assertGradient, dot, randomArray } from "./gradient_check.ts";

const dims: AttentionDims = { batch: 2, seqLen: 4, heads: 4, kvHeads: 2, headDim: 3 };
const { batch, seqLen, heads, kvHeads, headDim } = dims;
const q = randomArray(9, "q", batch * seqLen * heads * headDim);
const k = randomArray(9, "k", batch * seqLen * kvHeads * headDim);
const v = randomArray(9, "v", batch * seqLen * kvHeads * headDim);

Deno.test("attentionForward() is causal: probabilities vanish above the diagonal and rows sum to 1", () => {
  const { out, probs } = attentionForward(q, k, v, dims);
  for (let row = 0; row < batch * heads * seqLen; row++) {
    const i = row % seqLen;
    const p = probs.subarray(row * seqLen, (row + 1) * seqLen);
    assert.ok(p.subarray(i + 1).every((value) => value === 0));
    assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-15);
  }
  // Position 0 attends only to itself: its output is v_0 of its key/value head.
  for (let h = 0; h < heads; h++) {
    const kvh = Math.floor(h / (heads / kvHeads));
    assert.deepEqual(
      out.subarray(h * headDim, (h + 1) * headDim),
      v.subarray(kvh * headDim, (kvh + 1) * headDim),
    );
  }
});

Deno.test("attentionForward() with grouped heads equals full attention on repeat_kv-expanded keys and values", () => {
  const group = heads / kvHeads;
  const expand = (x: Float64Array) => {
    const y = new Float64Array(batch * seqLen * heads * headDim);
    for (let row = 0; row < batch * seqLen; row++) {
      for (let h = 0; h < heads; h++) {
        const src = (row * kvHeads + Math.floor(h / group)) * headDim;
        y.set(x.subarray(src, src + headDim), (row * heads + h) * headDim);
      }
    }
    return y;
  };
  const grouped = attentionForward(q, k, v, dims);
  const full = attentionForward(q, expand(k), expand(v), { ...dims, kvHeads: heads });
  assert.deepEqual(grouped.out, full.out);
  assert.deepEqual(grouped.probs, full.probs);
});

Deno.test("attentionBackward() matches finite differences for q, k and v", () => {
  const r = randomArray(10, "r", q.length);
  const f = () => dot(r, attentionForward(q, k, v, dims).out);
  const { probs } = attentionForward(q, k, v, dims);
  const { dq, dk, dv } = attentionBackward(q, k, v, probs, r, dims);
  assertGradient("dq", f, q, dq);
  assertGradient("dk", f, k, dk);
  assertGradient("dv", f, v, dv);
});

Deno.test("attentionForward() rejects heads that are not a multiple of kvHeads", () => {
  assert.throws(() => attentionForward(q, k, v, { ...dims, kvHeads: 3 }), {
    name: "RangeError",
    message: "attentionForward(): heads=4 is not a multiple of kvHeads=3",
  });
});
