/**
 * Centres and scales score rows so that the dot product of two of them is their Pearson r: each output
 * row has mean 0 and Euclidean norm 1, computed in float64 (two passes: mean, then centred sum of squares).
 * A constant row (zero variance) has no correlation with anything and comes out filled with NaN.
 *
 * @param scores Row-major [rows × documents] scores.
 * @param documents Number of documents (columns), at least 2.
 * @param rows Rows of `scores` to standardize, in output order.
 * @returns Row-major [rows.length × documents] standardized rows.
 * @throws {RangeError} If `documents` is not an integer ≥ 2, `scores` is not a whole number of rows, or a row
 * index is out of range.
 * @example
 * ```ts
 * import { standardizedRows } from "./standardized_rows.ts";
 * const z = standardizedRows(new Float32Array([1, 2, 3, 6, 4, 2]), 3, [0, 1]);
 * const r = z[0] * z[3] + z[1] * z[4] + z[2] * z[5];
 * console.assert(Math.abs(r + 1) < 1e-12); // the second row falls as the first rises
 * ```
 */
export function standardizedRows(
  scores: ArrayLike<number>,
  documents: number,
  rows: readonly number[],
): Float64Array {
  if (!Number.isInteger(documents) || documents < 2) {
    throw new RangeError(`standardizedRows: documents must be an integer ≥ 2, got ${documents}`);
  }
  if (scores.length % documents !== 0) {
    throw new RangeError(
      `standardizedRows: scores has ${scores.length} values, not a multiple of ${documents} documents`,
    );
  }
  const available = scores.length / documents;
  const out = new Float64Array(rows.length * documents);
  rows.forEach((row, i) => {
    if (!Number.isInteger(row) || row < 0 || row >= available) {
      throw new RangeError(`standardizedRows: row ${row} is outside [0, ${available})`);
    }
    const base = row * documents, at = i * documents;
    let sum = 0, constant = true;
    for (let d = 0; d < documents; d++) {
      sum += scores[base + d];
      constant &&= scores[base + d] === scores[base];
    }
    const mean = sum / documents;
    let squares = 0;
    for (let d = 0; d < documents; d++) {
      const c = scores[base + d] - mean;
      out[at + d] = c;
      squares += c * c;
    }
    // Tested exactly: rounding in the mean would leave a constant row with a tiny non-zero spread.
    const scale = constant ? NaN : 1 / Math.sqrt(squares);
    for (let d = 0; d < documents; d++) out[at + d] *= scale;
  });
  return out;
}
