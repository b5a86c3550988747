import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { embedding } from "../../engine/kernels/embedding.ts";
import { embeddingBackward } from "../../engine/kernels/embedding_backward.ts";
import {
  embeddingBackward as embeddingBackwardRef,
  embeddingForward,
} from "../../engine/reference/embedding.ts";
import { assertClose, hasAdapter, randomArray, rng, testGpu } from "./support.ts";

// Needs only the engine's default limits (one read-only storage texture for the sort keys).
const gpu = hasAdapter ? await testGpu() : null;
// The backward sums the same f32 rows in the same (row) order as the f64 reference, rounding each step.
const TOL = { atol: 1e-6, rtol: 1e-5 };

function ids(n: number, vocab: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * vocab));
}

Deno.test({
  name: "embedding() gathers table rows and zero-fills out-of-range ids",
  ignore: !hasAdapter,
  fn: async () => {
    for (const [rows, vocab, dim] of [[70, 11, 8], [5, 3, 7], [130, 100, 64]]) {
      const tokenIds = ids(rows, vocab, rows);
      const table = randomArray(vocab * dim, 2);
      const out = Tensor.zeros(gpu!, [rows, dim]);
      embedding(Tensor.from(gpu!, tokenIds), Tensor.from(gpu!, table, [vocab, dim]), out);
      const expected = embeddingForward(tokenIds, Float64Array.from(table), vocab, dim);
      assertClose(await out.read(), expected, { atol: 0, rtol: 0 }, `embedding ${rows}×${vocab}×${dim}`);
    }
    const out = Tensor.zeros(gpu!, [2, 2]);
    embedding(
      Tensor.from(gpu!, new Int32Array([-1, 3])),
      Tensor.from(gpu!, new Float32Array(6).fill(1), [3, 2]),
      out,
    );
    assert.deepEqual([...await out.read()], [0, 0, 0, 0]);
  },
});

Deno.test({
  name: "embeddingBackward() matches the f64 reference scatter-add, with and without accumulation",
  ignore: !hasAdapter,
  fn: async () => {
    // Shapes off the 64-wide workgroups and the 4-key texels; many repeated ids.
    for (const [rows, vocab, dim] of [[10, 11, 8], [67, 5, 7], [4096, 100, 64], [301, 1000, 3]]) {
      const tokenIds = ids(rows, vocab, rows + 1);
      const dy = randomArray(rows * dim, 3);
      const initial = randomArray(vocab * dim, 4);
      const expected = embeddingBackwardRef(tokenIds, Float64Array.from(dy), vocab, dim);
      const tIds = Tensor.from(gpu!, tokenIds), tdy = Tensor.from(gpu!, dy, [rows, dim]);
      const fresh = Tensor.from(gpu!, initial, [vocab, dim]),
        summed = Tensor.from(gpu!, initial, [vocab, dim]);
      embeddingBackward(tIds, tdy, fresh);
      embeddingBackward(tIds, tdy, summed, { accumulate: true });
      const [got, gotSum] = await readTensors(fresh, summed);
      assertClose(got, expected, TOL, `embeddingBackward ${rows}×${vocab}×${dim}`);
      assertClose(gotSum, expected.map((v, i) => v + initial[i]), TOL, `accumulated ${rows}×${vocab}×${dim}`);
    }
  },
});

Deno.test({
  name: "embeddingBackward() ignores out-of-range ids and is bit-identical across runs",
  ignore: !hasAdapter,
  fn: async () => {
    const tokenIds = new Int32Array([2, -1, 7, 2, 9, 0, 2]);
    const dy = randomArray(7 * 5, 8);
    const dTable = Tensor.zeros(gpu!, [7, 5]);
    const tIds = Tensor.from(gpu!, tokenIds), tdy = Tensor.from(gpu!, dy, [7, 5]);
    embeddingBackward(tIds, tdy, dTable);
    const first = await dTable.read();
    const kept = [...tokenIds.keys()].filter((r) => tokenIds[r] >= 0 && tokenIds[r] < 7);
    const keptRows = Float64Array.from(kept.flatMap((r) => [...dy.subarray(r * 5, r * 5 + 5)]));
    const expected = embeddingBackwardRef(Int32Array.from(kept, (r) => tokenIds[r]), keptRows, 7, 5);
    assertClose(first, expected, TOL, "out-of-range ids");
    embeddingBackward(tIds, tdy, dTable);
    assert.deepEqual(new Uint32Array((await dTable.read()).buffer), new Uint32Array(first.buffer));
  },
});
