import assert from "node:assert/strict";
import { type SymmetricEigen, symmetricEigen } from "../../../../engine/influence/cpu/symmetric_eigen.ts";
import { jacobiEigen } from "../../../../engine/influence/gpu/jacobi_eigen.ts";
import { hasAdapter, randomArray, testGpu } from "../../support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

/** Q diag(values) Qᵀ with Q a random orthogonal matrix (eigenvectors of a random symmetric matrix). */
function withSpectrum(values: readonly number[], seed: number): Float64Array {
  const n = values.length, x = randomArray(n * n, seed), sym = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sym[i * n + j] = x[i * n + j] + x[j * n + i];
  const q = symmetricEigen(sym, n).vectors, out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += q[i * n + k] * values[k] * q[j * n + k];
      out[i * n + j] = sum;
    }
  }
  return out;
}

/**
 * Largest entry of the difference of the spectral projectors of GPU and reference, over clusters of
 * reference eigenvalues closer than `gap` (degenerate eigenvalues have no unique eigenvectors, only
 * subspaces).
 */
function projectorError(gpu: SymmetricEigen, ref: SymmetricEigen, n: number, gap: number): number {
  let worst = 0, start = 0;
  for (let end = 1; end <= n; end++) {
    if (end < n && ref.values[end] - ref.values[end - 1] < gap) continue;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let a = 0, b = 0;
        for (let k = start; k < end; k++) {
          a += gpu.vectors[i * n + k] * gpu.vectors[j * n + k];
          b += ref.vectors[i * n + k] * ref.vectors[j * n + k];
        }
        worst = Math.max(worst, Math.abs(a - b));
      }
    }
    start = end;
  }
  return worst;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

Deno.test({
  name: "jacobiEigen() matches symmetricEigen: ascending values, column vectors, the sign rule",
  ignore: !hasAdapter,
  fn: async () => {
    // Even and odd orders; a spread-out spectrum and a covariance-like one decaying over six decades.
    const spread = Array.from({ length: 12 }, (_, i) => i - 4.5 + 0.1 * i * i);
    const decaying = Array.from({ length: 17 }, (_, i) => 10 ** (-6 * i / 16));
    const problems = [{ matrix: withSpectrum(spread, 1), n: 12 }, {
      matrix: withSpectrum(decaying, 2),
      n: 17,
    }];
    const results = await jacobiEigen(gpu!, problems);
    problems.forEach(({ matrix, n }, p) => {
      const got = results[p], ref = symmetricEigen(matrix, n);
      const scale = Math.max(...ref.values.map(Math.abs));
      // f32 rotations: eigenvectors to ~eps·‖A‖/gap, so single vectors are compared only for the
      // well-separated spectrum (measured 3e-7) and projectors onto clusters closer than 1e-4·‖A‖ for
      // both (measured ≤ 3e-5); eigenvalues are Rayleigh quotients, second order in that (measured ≤ 1e-10).
      assert.ok(maxAbsDiff(got.values, ref.values) <= 1e-8 * scale, `values n = ${n}`);
      for (let i = 1; i < n; i++) assert.ok(got.values[i] >= got.values[i - 1]);
      if (p === 0) assert.ok(maxAbsDiff(got.vectors, ref.vectors) <= 2e-6, "vectors, same signs");
      const projectors = projectorError(got, ref, n, 1e-4 * scale);
      assert.ok(projectors <= 1e-4, `projectors n = ${n}`);
      // Measured ≤ 7e-7 for both.
      assert.ok(got.orthogonalityError <= 2e-6 && got.reconstructionError <= 2e-6, `accuracy n = ${n}`);
      assert.ok(got.sweeps >= 3 && got.sweeps <= 12, `sweeps ${got.sweeps}`);
    });
  },
});

Deno.test({
  name: "jacobiEigen() recovers the subspaces of degenerate eigenvalues",
  ignore: !hasAdapter,
  fn: async () => {
    const values = [1, 1, 1, 2, 3, 3, 5, 8, 8, 8, 8, 13, 0, 0];
    const n = values.length, matrix = withSpectrum(values, 3);
    const [got] = await jacobiEigen(gpu!, [{ matrix, n }]);
    const ref = symmetricEigen(matrix, n);
    assert.ok(maxAbsDiff(got.values, [...values].sort((a, b) => a - b)) <= 1e-9 * 13); // measured 9e-13
    // Clusters of equal eigenvalues: the projector onto each one agrees (measured 3e-7); single
    // eigenvectors need not.
    assert.ok(projectorError(got, ref, n, 1e-3) <= 2e-6, `projectors ${projectorError(got, ref, n, 1e-3)}`);
  },
});

Deno.test({
  name: "jacobiEigen() solves block-diagonal matrices block by block, exactly zero outside the blocks",
  ignore: !hasAdapter,
  fn: async () => {
    const n = 12, size = 6, matrix = new Float64Array(n * n);
    for (let b = 0; b < 2; b++) {
      const block = withSpectrum(Array.from({ length: size }, (_, i) => 0.3 * b + i + 1), 4 + b);
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) matrix[(b * size + i) * n + b * size + j] = block[i * size + j];
      }
    }
    const [blocked, whole] = await jacobiEigen(gpu!, [{ matrix, n, blocks: 2 }, { matrix, n }]);
    const ref = symmetricEigen(matrix, n);
    assert.ok(maxAbsDiff(blocked.values, ref.values) <= 1e-8 * 7);
    assert.ok(maxAbsDiff(blocked.vectors, ref.vectors) <= 2e-6);
    assert.ok(maxAbsDiff(whole.vectors, ref.vectors) <= 2e-6);
    for (let j = 0; j < n; j++) {
      const rows = blocked.vectors.filter((v, k) => k % n === j && v !== 0).length;
      assert.ok(rows <= size, `eigenvector ${j} spans both blocks`);
    }
    await assert.rejects(
      () => jacobiEigen(gpu!, [{ matrix: withSpectrum([1, 2, 3, 4], 1), n: 4, blocks: 2 }]),
      /outside/,
    );
  },
});

Deno.test({
  name: "jacobiEigen() handles zero and 1×1 matrices and is bit-identical on repeat",
  ignore: !hasAdapter,
  fn: async () => {
    const [zero, one] = await jacobiEigen(gpu!, [{ matrix: new Float64Array(9), n: 3 }, {
      matrix: new Float64Array([-2.5]),
      n: 1,
    }]);
    assert.deepEqual([...zero.values], [0, 0, 0]);
    assert.deepEqual([...zero.vectors], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual([[...one.values], [...one.vectors]], [[-2.5], [1]]);
    const matrix = withSpectrum(Array.from({ length: 9 }, (_, i) => 1 / (i + 1)), 5);
    const [first] = await jacobiEigen(gpu!, [{ matrix, n: 9 }]);
    const [second] = await jacobiEigen(gpu!, [{ matrix, n: 9 }]);
    assert.deepEqual(second.values, first.values);
    assert.deepEqual(second.vectors, first.vectors);
    await assert.rejects(() => jacobiEigen(gpu!, [{ matrix, n: 9 }], { maxSweeps: 1 }), /no convergence/);
  },
});
