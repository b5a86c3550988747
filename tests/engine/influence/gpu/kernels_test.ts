import assert from "node:assert/strict";
import { Tensor } from "../../../../engine/tensor.ts";
import { accumulateSquares } from "../../../../engine/kernels/accumulate_squares.ts";
import { gatherRows } from "../../../../engine/kernels/gather_rows.ts";
import { jacobiRotate, jacobiStepsPerSweep } from "../../../../engine/kernels/jacobi_rotate.ts";
import { multiDot, multiDotAligned } from "../../../../engine/kernels/multi_dot.ts";
import { rowDot } from "../../../../engine/kernels/row_dot.ts";
import { accumulateSquaresCpu } from "../../../../engine/cpu/accumulate_squares.ts";
import { gatherRowsCpu } from "../../../../engine/cpu/gather_rows.ts";
import { jacobiRotateCpu, roundRobinPairs } from "../../../../engine/cpu/jacobi_rotate.ts";
import { multiDotCpu } from "../../../../engine/cpu/multi_dot.ts";
import { rowDotCpu } from "../../../../engine/cpu/row_dot.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "../../support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

/** A random symmetric matrix, [n, n]. */
function symmetric(n: number, seed: number): Float32Array {
  const x = randomArray(n * n, seed), out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = x[Math.min(i, j) * n + Math.max(i, j)];
  }
  return out;
}

Deno.test("roundRobinPairs() visits every pair exactly once per sweep, disjoint within a step", () => {
  for (const n of [2, 5, 8, 9]) {
    const seen = new Set<string>();
    for (let step = 0; step < jacobiStepsPerSweep(n); step++) {
      const used = new Set<number>();
      for (const [p, q] of roundRobinPairs(n, step)) {
        assert.ok(p < q && q < n && !used.has(p) && !used.has(q));
        used.add(p), used.add(q), seen.add(`${p},${q}`);
      }
    }
    assert.equal(seen.size, (n * (n - 1)) / 2, `n = ${n}`);
  }
});

Deno.test({
  name: "jacobiRotate() matches the CPU step on a batch, keeps A exactly symmetric, rejects bad steps",
  ignore: !hasAdapter,
  fn: async () => {
    for (const n of [6, 7]) {
      const batch = 2, a = new Float32Array(batch * n * n), v = new Float32Array(batch * n * n);
      for (let z = 0; z < batch; z++) {
        a.set(symmetric(n, 10 * n + z), z * n * n);
        for (let i = 0; i < n; i++) v[z * n * n + i * n + i] = 1;
      }
      const shape = [batch, n, n];
      const tensors = [a, v, new Float32Array(a.length), new Float32Array(a.length)].map((x) =>
        Tensor.from(gpu!, x, shape)
      );
      const cpu = Array.from({ length: batch }, (_, z) => ({
        a: Float64Array.from(a.subarray(z * n * n, (z + 1) * n * n)),
        v: Float64Array.from(v.subarray(z * n * n, (z + 1) * n * n)),
      }));
      let [ai, vi, ao, vo] = tensors;
      for (let step = 0; step < jacobiStepsPerSweep(n); step++) {
        jacobiRotate(ai, vi, ao, vo, step);
        [ai, vi, ao, vo] = [ao, vo, ai, vi];
        for (const m of cpu) jacobiRotateCpu(m.a, m.v, n, step);
      }
      const [ga, gv] = [await ai.read(), await vi.read()];
      for (let z = 0; z < batch; z++) {
        const slice = (x: Float32Array) => x.subarray(z * n * n, (z + 1) * n * n);
        assertClose(slice(ga), cpu[z].a, { atol: 2e-6, rtol: 1e-5 }, `A after one sweep, n = ${n}`);
        assertClose(slice(gv), cpu[z].v, { atol: 2e-6, rtol: 1e-5 }, `V after one sweep, n = ${n}`);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) assert.equal(ga[z * n * n + i * n + j], ga[z * n * n + j * n + i]);
        }
      }
      assert.throws(() => jacobiRotate(ai, vi, ao, vo, jacobiStepsPerSweep(n)), /step/);
      assert.throws(() => jacobiRotate(ai, vi, ai, vo, 0), /must not share/);
    }
  },
});

Deno.test({
  name: "gatherRows(), accumulateSquares() and rowDot() match their CPU references",
  ignore: !hasAdapter,
  fn: async () => {
    const src = randomArray(9 * 5, 1), index = new Uint32Array([8, 0, 3, 3]);
    const gathered = Tensor.zeros(gpu!, [6, 5]);
    gatherRows(Tensor.from(gpu!, src, [9, 5]), Tensor.from(gpu!, index), 4, gathered);
    assert.deepEqual((await gathered.read()).subarray(0, 20), gatherRowsCpu(src, 5, index));

    const x = randomArray(4 * 4 * 7 + 5, 2), start = randomArray(4 * 7, 3);
    const acc = Tensor.from(gpu!, start.slice(), [4, 7]);
    accumulateSquares(Tensor.from(gpu!, x), 4, acc, 5);
    accumulateSquares(Tensor.from(gpu!, x), 2, acc, 5);
    const expected = start.slice();
    accumulateSquaresCpu(x, 4, expected, 5);
    accumulateSquaresCpu(x, 2, expected, 5);
    assertClose(await acc.read(), expected, { atol: 1e-6, rtol: 1e-6 }, "accumulateSquares");
    assert.throws(() => accumulateSquares(Tensor.from(gpu!, x), 4, acc, 6), /exceed/);

    const y = randomArray(6 * 5, 4), g = randomArray(40 * 8, 5), base = randomArray(10, 6);
    const out = Tensor.from(gpu!, base.slice());
    const options = { ldg: 8, offsetG: 17, offsetOut: 3 };
    rowDot(Tensor.from(gpu!, y), Tensor.from(gpu!, g), 6, 5, out, options);
    rowDot(Tensor.from(gpu!, y), Tensor.from(gpu!, g), 6, 5, out, { ...options, accumulate: true });
    const want = base.slice();
    rowDotCpu(y, g, 6, 5, want, options);
    rowDotCpu(y, g, 6, 5, want, { ...options, accumulate: true });
    assertClose(await out.read(), want, { atol: 1e-6, rtol: 1e-6 }, "rowDot");
    assert.throws(
      () => rowDot(Tensor.from(gpu!, y), Tensor.from(gpu!, g), 6, 5, out, { offsetOut: 5 }),
      /exceed/,
    );
  },
});

Deno.test({
  name: "multiDot() matches its CPU reference with strides, offsets, tails and several K chunks",
  ignore: !hasAdapter,
  fn: async () => {
    const [m, n, k] = [6, 9, 2 * 1024 + 36];
    const p = randomArray(8 + (m - 1) * (k + 4) + k, 7), x = randomArray(4 + (n - 1) * k + k, 8);
    const base = randomArray(3 + m * 12, 9);
    const spec = { m, n, k, ldp: k + 4, offsetP: 8, offsetX: 4, ldc: 12, offsetC: 3 };
    const c = Tensor.from(gpu!, base.slice());
    multiDot(Tensor.from(gpu!, p), Tensor.from(gpu!, x), c, spec);
    multiDot(Tensor.from(gpu!, p), Tensor.from(gpu!, x), c, { ...spec, accumulate: true });
    const want = base.slice();
    multiDotCpu(p, x, want, spec);
    multiDotCpu(p, x, want, { ...spec, accumulate: true });
    assertClose(await c.read(), want, { atol: 1e-4, rtol: 1e-5 }, "multiDot");
    assert.equal(multiDotAligned({ m, n, k: 6 }), false);
    assert.throws(
      () => multiDot(Tensor.from(gpu!, p), Tensor.from(gpu!, x), c, { m, n, k: 6 }),
      /multiples of 4/,
    );
  },
});
