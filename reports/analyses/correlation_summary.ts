/** Per-pair correlations grouped by query set, for means and bootstrap intervals taken by the caller. */
export interface CorrelationSummary {
  /** For each set, r of every pair of its queries (i < j, row-major order), NaN pairs left out. */
  within: Record<string, number[]>;
  /** For each unordered pair of distinct sets, keyed `"A|B"` with A the set that appears first in `sets`. */
  between: Record<string, number[]>;
}

/**
 * Groups the upper triangle (i < j) of a query × query correlation matrix by the query sets of the two
 * queries: pairs within one set, and pairs across each unordered pair of sets. Pairs whose r is NaN (a
 * constant score row) are skipped. Every set, and every pair of sets, gets a key, possibly with no values.
 *
 * @param matrix Row-major [n × n] correlations, e.g. from `queryCorrelations`.
 * @param sets Query set of each row, length n.
 * @returns The per-pair r values within and between sets.
 * @throws {RangeError} If `matrix.length` is not `sets.length²`.
 * @example
 * ```ts
 * import { correlationSummary } from "./correlation_summary.ts";
 * const m = new Float64Array([1, 0.9, 0.1, 0.9, 1, 0.2, 0.1, 0.2, 1]);
 * const s = correlationSummary(m, ["slopes", "slopes", "factual"]);
 * console.assert(s.within.slopes[0] === 0.9 && s.between["slopes|factual"].length === 2);
 * ```
 */
export function correlationSummary(matrix: ArrayLike<number>, sets: readonly string[]): CorrelationSummary {
  const n = sets.length;
  if (matrix.length !== n * n) {
    throw new RangeError(`correlationSummary: matrix has ${matrix.length} values, expected ${n} × ${n}`);
  }
  const order = [...new Set(sets)];
  const position = new Map(order.map((s, i) => [s, i]));
  const within: Record<string, number[]> = {};
  const between: Record<string, number[]> = {};
  for (const [i, a] of order.entries()) {
    within[a] = [];
    for (const b of order.slice(i + 1)) between[`${a}|${b}`] = [];
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const r = matrix[i * n + j];
      if (Number.isNaN(r)) continue;
      const [a, b] = position.get(sets[i])! <= position.get(sets[j])!
        ? [sets[i], sets[j]]
        : [sets[j], sets[i]];
      (a === b ? within[a] : between[`${a}|${b}`]).push(r);
    }
  }
  return { within, between };
}
