/**
 * CPU reference of `jacobi_rotate.wgsl`: one parallel (round-robin) Jacobi step, in float64.
 *
 * @module
 */

/**
 * The disjoint pairs (p, q), p < q, rotated at round-robin step `step` of an n × n matrix. Index n is
 * a phantom when n is odd; pairs containing it are omitted.
 *
 * @param n The order.
 * @param step Step within the sweep, 0 ≤ step < n + (n mod 2) − 1.
 * @returns The pairs in pair-slot order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundRobinPairs } from "./jacobi_rotate.ts";
 * assert.deepEqual(roundRobinPairs(4, 0), [[0, 3], [1, 2]]);
 * ```
 */
export function roundRobinPairs(n: number, step: number): [number, number][] {
  const m = n + (n % 2);
  const player = (pos: number) => (pos === 0 ? 0 : ((pos - 1 + step) % (m - 1)) + 1);
  const pairs: [number, number][] = [];
  for (let k = 0; k < m / 2; k++) {
    const x = player(k), y = player(m - 1 - k);
    const [p, q] = x < y ? [x, y] : [y, x];
    if (q < n) pairs.push([p, q]);
  }
  return pairs;
}

/**
 * Applies one parallel Jacobi step in place: A ← JᵀAJ and V ← VJ for the pairs of
 * {@linkcode roundRobinPairs}, with the rotations of `jacobi_rotate.wgsl` (including its rule that
 * |a_pq| < 1e-30 sets a_pq to zero without rotating).
 *
 * @param a A, [n, n] row-major, symmetric; updated in place.
 * @param v V, [n, n] row-major, eigenvectors as columns; updated in place.
 * @param n The order.
 * @param step Step within the sweep.
 */
export function jacobiRotateCpu(a: Float64Array, v: Float64Array, n: number, step: number): void {
  const pairs = roundRobinPairs(n, step);
  const j = new Float64Array(n * n);
  for (let i = 0; i < n; i++) j[i * n + i] = 1;
  const diagonal: [number, number, number, number][] = [];
  for (const [p, q] of pairs) {
    const apq = a[p * n + q];
    if (Math.abs(apq) < 1e-30) {
      diagonal.push([p, q, a[p * n + p], a[q * n + q]]);
      continue;
    }
    const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
    const t = Math.abs(theta) > 1e18
      ? 0.5 / theta
      : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    const c = 1 / Math.sqrt(t * t + 1), s = t * c;
    j[p * n + p] = j[q * n + q] = c;
    j[p * n + q] = s;
    j[q * n + p] = -s;
    diagonal.push([p, q, a[p * n + p] - t * apq, a[q * n + q] + t * apq]);
  }
  const product = (x: Float64Array, y: Float64Array, transX: boolean) => {
    const out = new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += (transX ? x[k * n + r] : x[r * n + k]) * y[k * n + c];
        out[r * n + c] = sum;
      }
    }
    return out;
  };
  a.set(product(j, product(a, j, false), true));
  v.set(product(v, j, false));
  for (const [p, q, app, aqq] of diagonal) {
    a[p * n + p] = app;
    a[q * n + q] = aqq;
    a[p * n + q] = a[q * n + p] = 0;
  }
}
