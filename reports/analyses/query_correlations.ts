import { standardizedRows } from "./standardized_rows.ts";

/**
 * Pearson r between every pair of query score rows over all documents (finding F1: queries of the same
 * task share influential documents). Rows are standardized once, so each entry is one dot product, and
 * the cost is O(queries² × documents). Entries are clamped to [−1, 1]; the diagonal is exactly 1. A
 * constant row (zero variance) has an undefined r: its whole row and column, diagonal included, are NaN.
 *
 * @param scores Row-major [queries × documents] scores, raw or per-nat (dividing a row by its query's
 * nats leaves r unchanged).
 * @param queries Number of queries (rows).
 * @param documents Number of documents (columns), at least 2.
 * @returns Row-major [queries × queries] symmetric correlation matrix.
 * @throws {RangeError} If `queries` is not a non-negative integer, `documents` is not an integer ≥ 2, or
 * `scores.length` is not `queries × documents`.
 * @example
 * ```ts
 * import { queryCorrelations } from "./query_correlations.ts";
 * const r = queryCorrelations(new Float32Array([1, 2, 3, 2, 4, 6, 3, 2, 1]), 3, 3);
 * console.assert(Math.abs(r[1] - 1) < 1e-12 && Math.abs(r[2] + 1) < 1e-12 && r[4] === 1);
 * ```
 */
export function queryCorrelations(
  scores: ArrayLike<number>,
  queries: number,
  documents: number,
): Float64Array {
  if (!Number.isInteger(queries) || queries < 0) {
    throw new RangeError(`queryCorrelations: queries must be a non-negative integer, got ${queries}`);
  }
  if (scores.length !== queries * documents) {
    throw new RangeError(
      `queryCorrelations: scores has ${scores.length} values, expected ${queries} × ${documents}`,
    );
  }
  const z = standardizedRows(scores, documents, Array.from({ length: queries }, (_, q) => q));
  const out = new Float64Array(queries * queries);
  for (let i = 0; i < queries; i++) {
    const zi = z.subarray(i * documents, (i + 1) * documents);
    out[i * queries + i] = Number.isNaN(zi[0]) ? NaN : 1;
    for (let j = i + 1; j < queries; j++) {
      const zj = z.subarray(j * documents, (j + 1) * documents);
      let dot = 0;
      for (let d = 0; d < documents; d++) dot += zi[d] * zj[d];
      out[i * queries + j] = out[j * queries + i] = Math.max(-1, Math.min(1, dot)); // NaN stays NaN
    }
  }
  return out;
}
