/**
 * The highest- and lowest-scoring documents of one query's influence scores.
 *
 * @module
 */

/**
 * One query's scores: row `row` of a row-major [queries × documents] score matrix, as a view where
 * the scores are a typed array and as a copy otherwise.
 *
 * @param scores Row-major [queries × documents] scores.
 * @param documents Number of documents (columns).
 * @param row Row index of the query.
 * @returns The `documents` scores of that row, columns in document order.
 * @throws {RangeError} If `documents` is not a positive integer or the row lies outside `scores`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreRow } from "./top_documents.ts";
 * assert.deepEqual(Array.from(scoreRow(new Float32Array([1, 2, 3, 4, 5, 6]), 3, 1)), [4, 5, 6]);
 * ```
 */
export function scoreRow(scores: ArrayLike<number>, documents: number, row: number): ArrayLike<number> {
  if (!Number.isInteger(documents) || documents < 1) {
    throw new RangeError(`scoreRow: documents must be a positive integer, got ${documents}`);
  }
  if (!Number.isInteger(row) || row < 0 || (row + 1) * documents > scores.length) {
    throw new RangeError(`scoreRow: row ${row} is outside ${scores.length} scores of ${documents} columns`);
  }
  const start = row * documents;
  if (ArrayBuffer.isView(scores) && "subarray" in scores) {
    return (scores as Float32Array | Float64Array).subarray(start, start + documents);
  }
  return Array.prototype.slice.call(scores, start, start + documents) as number[];
}

/**
 * Column indices of the k highest scores of a row, best first; ties go to the lower index.
 *
 * @param row One query's scores, one per document (positive = the document raises log p(completion)).
 * @param k How many documents; capped at the row length.
 * @returns Up to k column indices, highest score first.
 * @throws {RangeError} If k is not a non-negative integer or a score is NaN.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topDocuments } from "./top_documents.ts";
 * assert.deepEqual(topDocuments([0.2, 0.9, -1, 0.9], 3), [1, 3, 0]);
 * ```
 */
export function topDocuments(row: ArrayLike<number>, k: number): number[] {
  return ranked(row, k, "topDocuments", -1);
}

/**
 * Column indices of the k lowest (most negative) scores of a row, lowest first; ties go to the lower
 * index.
 *
 * @param row One query's scores, one per document.
 * @param k How many documents; capped at the row length.
 * @returns Up to k column indices, lowest score first.
 * @throws {RangeError} If k is not a non-negative integer or a score is NaN.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bottomDocuments } from "./top_documents.ts";
 * assert.deepEqual(bottomDocuments([0.2, -1, 3, -1], 3), [1, 3, 0]);
 * ```
 */
export function bottomDocuments(row: ArrayLike<number>, k: number): number[] {
  return ranked(row, k, "bottomDocuments", 1);
}

/** The first k indices ordered by `direction × score` ascending, then by index. */
function ranked(row: ArrayLike<number>, k: number, name: string, direction: 1 | -1): number[] {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`${name}: k must be a non-negative integer, got ${k}`);
  }
  const n = row.length;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(row[i])) throw new RangeError(`${name}: score ${i} is NaN`);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => direction * (row[a] - row[b]) || a - b);
  return order.slice(0, Math.min(k, n));
}
