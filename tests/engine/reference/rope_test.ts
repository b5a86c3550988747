import assert from "node:assert/strict";
import { ropeBackward, ropeForward, ropeTables } from "../../../engine/reference/rope.ts";
import { assertGradient, dot, randomArray } from "./gradient_check.ts";

const dims = { batch: 2, seqLen: 5, heads: 3, headDim: 6 };
const theta = 10000;

Deno.test("ropeForward() pairs dimension i with i + hd/2 (HF rotate_half), not with i + 1", () => {
  const { cos, sin } = ropeTables(2, 4, theta); // invFreq = [1, 0.01]
  const x = new Float64Array([0, 0, 0, 0, 1, 0, 0, 0]); // position 0 row, then position 1 row = e_0
  const y = ropeForward(x, cos, sin, { batch: 1, seqLen: 2, heads: 1, headDim: 4 });
  assert.deepEqual(y.subarray(4), new Float64Array([Math.cos(1), 0, Math.sin(1), 0]));
});

Deno.test("ropeForward() equals a direct rotation of each (i, i + hd/2) pair by t·θ^(−2i/hd)", () => {
  const { batch, seqLen, heads, headDim } = dims;
  const x = randomArray(6, "x", batch * seqLen * heads * headDim);
  const { cos, sin } = ropeTables(seqLen, headDim, theta);
  const y = ropeForward(x, cos, sin, dims);
  const half = headDim / 2;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) {
      for (let h = 0; h < heads; h++) {
        const base = ((b * seqLen + t) * heads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const angle = t * theta ** (-(2 * i) / headDim);
          const [c, s] = [Math.cos(angle), Math.sin(angle)];
          const [x1, x2] = [x[base + i], x[base + i + half]];
          assert.ok(Math.abs(y[base + i] - (c * x1 - s * x2)) < 1e-14);
          assert.ok(Math.abs(y[base + i + half] - (s * x1 + c * x2)) < 1e-14);
        }
      }
    }
  }
});

Deno.test("rotated q·k depends only on the relative position", () => {
  const headDim = 8;
  const one = { batch: 1, seqLen: 9, heads: 1, headDim };
  const { cos, sin } = ropeTables(9, headDim, 500);
  const q = randomArray(7, "q", headDim), k = randomArray(7, "k", headDim);
  const at = (v: Float64Array, t: number) => {
    const x = new Float64Array(9 * headDim);
    x.set(v, t * headDim);
    return ropeForward(x, cos, sin, one).subarray(t * headDim, (t + 1) * headDim);
  };
  const score = (m: number, n: number) => dot(at(q, m), at(k, n));
  assert.ok(Math.abs(score(5, 2) - score(3, 0)) < 1e-12);
  assert.ok(Math.abs(score(8, 8) - score(0, 0)) < 1e-12);
});

Deno.test("ropeBackward() matches finite differences", () => {
  const { batch, seqLen, heads, headDim } = dims;
  const x = randomArray(8, "x", batch * seqLen * heads * headDim);
  const r = randomArray(8, "r", x.length);
  const { cos, sin } = ropeTables(seqLen, headDim, theta);
  assertGradient("dx", () => dot(r, ropeForward(x, cos, sin, dims)), x, ropeBackward(r, cos, sin, dims));
});

Deno.test("ropeTables() rejects an odd head dimension", () => {
  assert.throws(() => ropeTables(3, 5, theta), {
    name: "RangeError",
    message: "ropeTables(): headDim must be even, got 5",
  });
});
