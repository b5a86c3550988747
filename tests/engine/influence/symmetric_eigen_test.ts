import assert from "node:assert/strict";
import { symmetricEigen } from "../../../engine/influence/cpu/symmetric_eigen.ts";
import { matmulF64 } from "../../../engine/influence/cpu/dense.ts";
import { randomArray } from "../reference/gradient_check.ts";

/** A random orthogonal matrix [n, n] (Gram-Schmidt on normal columns). */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const m = randomArray(seed, "orthogonal", n * n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += m[r * n + j] * m[r * n + k];
      for (let r = 0; r < n; r++) m[r * n + j] -= dot * m[r * n + k];
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += m[r * n + j] ** 2;
    for (let r = 0; r < n; r++) m[r * n + j] /= Math.sqrt(norm);
  }
  return m;
}

/** Q diag(values) Qᵀ. */
function withSpectrum(q: Float64Array, values: number[]): Float64Array {
  const n = values.length;
  const scaled = q.map((v, k) => v * values[k % n]);
  return matmulF64(scaled, q, n, n, n, false, true);
}

Deno.test("symmetricEigen() recovers a known spectrum with orthonormal eigenvectors", () => {
  const n = 24;
  const values = Array.from({ length: n }, (_, i) => Math.exp(-i / 3) * (i % 3 === 0 ? -1 : 1));
  const a = withSpectrum(randomOrthogonal(n, 1), values);
  const eig = symmetricEigen(a, n);
  const expected = values.toSorted((x, y) => x - y);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(eig.values[i] - expected[i]) < 1e-14, `eigenvalue ${i}`);
  assert.ok(eig.orthogonalityError < 1e-14, `orthogonality ${eig.orthogonalityError}`);
  assert.ok(eig.reconstructionError < 1e-14, `reconstruction ${eig.reconstructionError}`);
  assert.ok(eig.sweeps <= 12, `sweeps ${eig.sweeps}`);
  // A q_j = λ_j q_j column by column.
  const aq = matmulF64(a, eig.vectors, n, n, n);
  for (let k = 0; k < n * n; k++) assert.ok(Math.abs(aq[k] - eig.vectors[k] * eig.values[k % n]) < 1e-14);
});

Deno.test("symmetricEigen() handles repeated eigenvalues and rank-deficient PSD matrices like A from few tokens", () => {
  const n = 16, tokens = 5;
  // A = (1/T) XᵀX with T < n: rank 5, eleven zero eigenvalues.
  const x = randomArray(2, "tokens", tokens * n);
  const a = matmulF64(x, x, n, tokens, n, true).map((v) => v / tokens);
  const eig = symmetricEigen(a, n);
  assert.ok(eig.orthogonalityError < 1e-14 && eig.reconstructionError < 1e-14);
  for (let i = 0; i < n - tokens; i++) assert.ok(Math.abs(eig.values[i]) < 1e-14, `zero eigenvalue ${i}`);
  for (let i = n - tokens; i < n; i++) assert.ok(eig.values[i] > 1e-3);
  const repeated = withSpectrum(randomOrthogonal(8, 3), [2, 2, 2, 1, 1, 5, 5, 0]);
  const r = symmetricEigen(repeated, 8);
  assert.ok(r.orthogonalityError < 1e-14 && r.reconstructionError < 1e-14);
  assert.deepEqual(Array.from(r.values, (v) => Math.round(v * 1e12) / 1e12), [0, 1, 1, 2, 2, 2, 5, 5]);
});

Deno.test("symmetricEigen() returns ascending values, leading components positive, and is deterministic", () => {
  const n = 10;
  const a = randomArray(4, "symmetric", n * n);
  const first = symmetricEigen(a, n), second = symmetricEigen(a, n);
  assert.deepEqual(first, second);
  for (let i = 1; i < n; i++) assert.ok(first.values[i - 1] <= first.values[i]);
  for (let j = 0; j < n; j++) {
    const column = Array.from({ length: n }, (_, r) => first.vectors[r * n + j]);
    const lead = column.reduce((best, v, r) => (Math.abs(v) > Math.abs(column[best]) ? r : best), 0);
    assert.ok(column[lead] > 0, `eigenvector ${j}`);
  }
  // The input is symmetrised: A and Aᵀ give the same decomposition.
  const transposed = a.map((_, k) => a[(k % n) * n + Math.floor(k / n)]);
  assert.deepEqual(symmetricEigen(transposed, n).values, first.values);
});

Deno.test("symmetricEigen() handles diagonal, zero and 1 × 1 matrices", () => {
  const diagonal = symmetricEigen(new Float64Array([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3);
  assert.deepEqual(diagonal.values, new Float64Array([-1, 2, 3]));
  assert.deepEqual(diagonal.vectors, new Float64Array([0, 0, 1, 1, 0, 0, 0, 1, 0]));
  assert.equal(diagonal.sweeps, 0);
  const zero = symmetricEigen(new Float64Array(4), 2);
  assert.deepEqual([zero.values, zero.reconstructionError], [new Float64Array(2), 0]);
  assert.deepEqual(symmetricEigen(new Float64Array([-7]), 1).values, new Float64Array([-7]));
});

Deno.test("symmetricEigen() rejects misshapen and non-finite input", () => {
  assert.throws(() => symmetricEigen(new Float64Array(5), 2), RangeError);
  assert.throws(() => symmetricEigen(new Float64Array([1, NaN, NaN, 1]), 2), /non-finite/);
});
