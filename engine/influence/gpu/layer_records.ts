/**
 * The per-layer token records the GPU influence pipeline consumes, and their validation.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import type { TrackedLayer } from "../tracked_layers.ts";

/**
 * One tracked layer's record of a batch of tokens, y = W a with W [out, in]: rows are tokens,
 * batch-major (sequence b of length T occupies rows b·T … b·T + T − 1). Σ_rows g aᵀ is the weight
 * gradient of whatever scalar g was backpropagated from.
 */
export interface LayerRecordTensors {
  /** Layer inputs a, f32 [N, in] row-major. */
  a: Tensor;
  /** Gradients of the scalar with respect to the layer outputs, g, f32 [N, out] row-major; zero on padding rows. */
  g: Tensor;
}

/** A contiguous row range of a record batch: one sequence (fit sequence, query or document). */
export interface SequenceRows {
  /** First row. */
  start: number;
  /** Rows (tokens), ≥ 0. */
  rows: number;
}

/** Records of every tracked layer for one batch of sequences. */
export interface RecordBatch {
  /** Records by tracked weight name; every record has the same N rows. */
  records: ReadonlyMap<string, LayerRecordTensors>;
  /**
   * The sequences' row ranges (in-bounds; they need not cover every row). Padding rows (zero g) inside a
   * range add nothing to DW, but would enter A under the default `fitted` rule: give ranges of the real
   * tokens, or a `fitted` mask.
   */
  sequences: readonly SequenceRows[];
  /**
   * Per row (length N), nonzero when the row carries a loss term and enters the covariances A and S
   * (the reference's "fit positions"). Default: every row of every sequence except its last (the last
   * position has no next token). Give it when sampled labels are negative at some positions.
   */
  fitted?: ArrayLike<number>;
  /**
   * Set when sequence i starts at row i·slotRows and every record's g is exactly zero on the rows of
   * its slot past the sequence (padding: rows that carry no loss term and precede none in their
   * sequence, as in a causal model's padded batch). Per-sequence weight gradients may then sum over
   * whole slots, all sequences in one batched GEMM; the zero rows add exact zeros.
   */
  slotRows?: number;
}

/**
 * Checks a batch against the tracked layers and returns its row count.
 *
 * @param op Calling function, for messages.
 * @param layers Tracked layers whose records must be present.
 * @param batch The batch.
 * @returns N, the rows of every record.
 * @throws {RangeError} When a record is missing, misshapen, of different row counts, or a sequence
 *   range or the fitted mask does not fit N.
 * @throws {TypeError} When a record tensor is not f32.
 */
export function batchRows(op: string, layers: readonly TrackedLayer[], batch: RecordBatch): number {
  let rows = -1;
  for (const { name, inDim, outDim } of layers) {
    const record = batch.records.get(name);
    if (record === undefined) throw new RangeError(`${op}: no record for ${name}`);
    if (record.a.dtype !== "f32" || record.g.dtype !== "f32") {
      throw new TypeError(`${op}: the record of ${name} must be f32`);
    }
    const n = record.a.size / inDim;
    if (!Number.isInteger(n) || record.g.size !== n * outDim || (rows >= 0 && n !== rows)) {
      throw new RangeError(
        `${op}: record of ${name} has a [${record.a.shape}] and g [${record.g.shape}], expected [N, ${inDim}] ` +
          `and [N, ${outDim}]${rows >= 0 ? ` with N = ${rows}` : ""}`,
      );
    }
    rows = n;
  }
  rows = Math.max(rows, 0);
  for (const { start, rows: length } of batch.sequences) {
    if (
      !Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 ||
      start + length > rows
    ) {
      throw new RangeError(
        `${op}: sequence rows ${start}..${start + length} fall outside the ${rows} record rows`,
      );
    }
  }
  if (batch.fitted !== undefined && batch.fitted.length !== rows) {
    throw new RangeError(`${op}: fitted has ${batch.fitted.length} entries for ${rows} record rows`);
  }
  return rows;
}

/**
 * The rows that enter the covariances, ascending.
 *
 * @param batch The batch (validated).
 * @returns Row indices: those with a nonzero `fitted` entry, or every row of every sequence but its last.
 */
export function fittedRowIndex(batch: RecordBatch): Uint32Array<ArrayBuffer> {
  const rows: number[] = [];
  if (batch.fitted !== undefined) {
    for (let r = 0; r < batch.fitted.length; r++) if (batch.fitted[r] !== 0) rows.push(r);
    return Uint32Array.from(rows);
  }
  for (const { start, rows: length } of batch.sequences) {
    for (let r = start; r + 1 < start + length; r++) rows.push(r);
  }
  return Uint32Array.from(rows);
}
