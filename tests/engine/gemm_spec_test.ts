import assert from "node:assert/strict";
import { matmulCpu, resolveGemm } from "../../engine/mod.ts";

const op = (shape: number[]) => ({ shape, size: shape.reduce((p, d) => p * d, 1) });

Deno.test("resolveGemm() infers sizes, leading dimensions and broadcast strides from shapes", () => {
  const s = resolveGemm(op([2, 5, 3]), op([4, 3]), op([2, 5, 4]), { transB: true, alpha: 2 });
  assert.deepEqual(
    [s.m, s.n, s.k, s.batch, s.lda, s.ldb, s.ldc, s.strideA, s.strideB, s.strideC],
    [5, 4, 3, 2, 3, 3, 4, 15, 0, 20],
  );
  const t = resolveGemm(op([3, 5]), op([3, 4]), op([5, 4]), { transA: true });
  assert.deepEqual([t.m, t.k, t.lda], [5, 3, 5]);
});

Deno.test("resolveGemm() rejects mismatched shapes and batches", () => {
  assert.throws(() => resolveGemm(op([2, 3]), op([4, 5]), op([2, 5])), /inner dimensions differ/);
  assert.throws(() => resolveGemm(op([2, 3]), op([3, 5]), op([2, 4])), /C must be \[2, 5\]/);
  assert.throws(() => resolveGemm(op([3, 2, 3]), op([3, 5]), op([2, 2, 5])), /A has batch 3, C has 2/);
  assert.throws(() => resolveGemm(op([2, 3]), op([3, 5]), op([2, 5]), { alpha: NaN }), /finite/);
  assert.throws(
    () => resolveGemm(op([2, 3]), op([3, 5]), op([2, 5]), { ldc: 4 }),
    /ldc 4 is smaller than n 5/,
  );
});

Deno.test("matmulCpu() computes a transposed, scaled product with β", () => {
  // A = [[1, 2], [3, 4]] stored transposed; B = I; C starts at 1.
  const a = new Float32Array([1, 3, 2, 4]),
    b = new Float32Array([1, 0, 0, 1]),
    c = new Float32Array(4).fill(1);
  matmulCpu(a, b, c, resolveGemm(op([2, 2]), op([2, 2]), op([2, 2]), { transA: true, alpha: 2, beta: 1 }));
  assert.deepEqual([...c], [3, 5, 7, 9]);
});
