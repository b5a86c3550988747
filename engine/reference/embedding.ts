/**
 * Token embedding lookup and its gradient (a scatter-add into the table).
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

function checkIds(op: string, ids: Int32Array, vocab: number): void {
  for (let r = 0; r < ids.length; r++) {
    if (!(ids[r] >= 0 && ids[r] < vocab)) {
      throw new RangeError(`${op}: token id ${ids[r]} at row ${r} is outside the vocabulary [0, ${vocab})`);
    }
  }
}

/**
 * y[r] = table[ids[r]].
 *
 * @param ids Token ids, [rows], each in [0, vocab).
 * @param table Embedding table, [vocab, dim] row-major.
 * @param vocab Vocabulary size V.
 * @param dim Embedding width D.
 * @returns y, [rows, dim].
 * @throws {RangeError} When an id is out of range or the table's length does not match.
 */
export function embeddingForward(
  ids: Int32Array,
  table: Float64Array,
  vocab: number,
  dim: number,
): Float64Array {
  assertLength("embeddingForward()", "table", table, { vocab, dim });
  checkIds("embeddingForward()", ids, vocab);
  const y = new Float64Array(ids.length * dim);
  for (let r = 0; r < ids.length; r++) y.set(table.subarray(ids[r] * dim, (ids[r] + 1) * dim), r * dim);
  return y;
}

/**
 * dTable[v] = Σ_{r: ids[r] = v} dy[r], summed in row order.
 *
 * @param ids Token ids, [rows].
 * @param dy Gradient with respect to the looked-up rows, [rows, dim].
 * @param vocab Vocabulary size V.
 * @param dim Embedding width D.
 * @returns dTable, [vocab, dim].
 * @throws {RangeError} When an id is out of range or `dy`'s length does not match.
 */
export function embeddingBackward(
  ids: Int32Array,
  dy: Float64Array,
  vocab: number,
  dim: number,
): Float64Array {
  assertLength("embeddingBackward()", "dy", dy, { rows: ids.length, dim });
  checkIds("embeddingBackward()", ids, vocab);
  const dTable = new Float64Array(vocab * dim);
  for (let r = 0; r < ids.length; r++) {
    for (let j = 0; j < dim; j++) dTable[ids[r] * dim + j] += dy[r * dim + j];
  }
  return dTable;
}
