import { standardizedRows } from "./standardized_rows.ts";

/** Which query of setup A to compare with which query of setup B (usually the same prompt id). */
export interface SetupPair {
  /** Query id in setup A. */
  a: string;
  /** Query id in setup B. */
  b: string;
}

/** The correlation of one prompt's score rows under two setups. */
export interface SetupPairCorrelation extends SetupPair {
  /** Pearson r over documents; NaN when either row is constant. */
  r: number;
}

/**
 * Pearson r between one query's score row under setup A and a query's row under setup B, per pair (F1:
 * the same prompt under the 7B and the 35B proxy; paper: mean r 0.02, max 0.19). Both matrices must
 * score the same documents in the same column order.
 *
 * @param scoresA Row-major [queries × documents] scores of setup A.
 * @param rowsA Row of each query id in `scoresA`.
 * @param scoresB Row-major [queries × documents] scores of setup B.
 * @param rowsB Row of each query id in `scoresB`.
 * @param documents Number of documents (columns), at least 2.
 * @param pairs The query pairs to correlate.
 * @returns One entry per pair, in the order of `pairs`.
 * @throws {RangeError} If a query id has no row, a row is out of range, or `documents` is not an integer ≥ 2.
 * @example
 * ```ts
 * import { crossSetupCorrelations } from "./cross_setup_correlations.ts";
 * const a = new Float32Array([1, 2, 3]), b = new Float32Array([3, 2, 1]);
 * const [c] = crossSetupCorrelations(a, new Map([["q", 0]]), b, new Map([["q", 0]]), 3, [{ a: "q", b: "q" }]);
 * console.assert(Math.abs(c.r + 1) < 1e-12);
 * ```
 */
export function crossSetupCorrelations(
  scoresA: ArrayLike<number>,
  rowsA: ReadonlyMap<string, number>,
  scoresB: ArrayLike<number>,
  rowsB: ReadonlyMap<string, number>,
  documents: number,
  pairs: readonly SetupPair[],
): SetupPairCorrelation[] {
  const rowOf = (rows: ReadonlyMap<string, number>, id: string, setup: string) => {
    const row = rows.get(id);
    if (row === undefined) {
      throw new RangeError(`crossSetupCorrelations: query "${id}" has no row in setup ${setup}`);
    }
    return row;
  };
  const za = standardizedRows(scoresA, documents, pairs.map((p) => rowOf(rowsA, p.a, "A")));
  const zb = standardizedRows(scoresB, documents, pairs.map((p) => rowOf(rowsB, p.b, "B")));
  return pairs.map(({ a, b }, i) => {
    let dot = 0;
    for (let d = i * documents; d < (i + 1) * documents; d++) dot += za[d] * zb[d];
    return { a, b, r: Math.max(-1, Math.min(1, dot)) };
  });
}
