/**
 * Per-token influence scores on the GPU for selected (query, document) pairs.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { matmul } from "../../kernels/matmul.ts";
import { rowDot } from "../../kernels/row_dot.ts";
import { Tensor } from "../../tensor.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { queryCount } from "./gpu_preconditioner.ts";
import { batchRows, type RecordBatch, type SequenceRows } from "./layer_records.ts";

/** One (query, document) pair whose per-token scores are wanted. */
export interface TokenScorePair {
  /** Query index q into the preconditioned [Q, out, in] tensors. */
  query: number;
  /** The document's row range in the batch's records. */
  document: SequenceRows;
}

/**
 * Per-token scores Σ_layers g_tᵀ P_q a_t of each pair's document positions t (the score without Σ_t, as
 * the reference `tokenScores`; they sum to the pair's score). Per pair and layer: Y = a_doc P_qᵀ
 * ([T, out], one GEMM) and the row dots g_t · Y_t accumulated over layers (`row_dot`, fixed order). One
 * read-back for all pairs.
 *
 * @param gpu The device.
 * @param layers Tracked layers (shapes).
 * @param preconditioned P per layer name, f32 [Q, out, in].
 * @param batch Records holding the documents (`sequences` and `fitted` are not used).
 * @param pairs The pairs.
 * @param initial Per pair, values [T] (f32) the layers' row dots are added to, every layer accumulating
 *   (the running sums of earlier layers scored apart: module groups); absent, the first layer's dots
 *   start the sums.
 * @returns Scores per position of each pair's document, [T], in pair order.
 * @throws {RangeError} When a query index or document range is out of bounds, or shapes disagree.
 */
export async function tokenScoresGpu(
  gpu: Gpu,
  layers: readonly TrackedLayer[],
  preconditioned: ReadonlyMap<string, Tensor>,
  batch: RecordBatch,
  pairs: readonly TokenScorePair[],
  initial?: readonly Float64Array[],
): Promise<Float64Array[]> {
  const queries = queryCount("tokenScoresGpu()", layers, preconditioned);
  batchRows("tokenScoresGpu()", layers, { ...batch, sequences: pairs.map((pair) => pair.document) });
  for (const { query } of pairs) {
    if (!Number.isInteger(query) || query < 0 || query >= queries) {
      throw new RangeError(`tokenScoresGpu(): query ${query} is outside 0..${queries - 1}`);
    }
  }
  const offsets: number[] = [];
  let total = 0;
  for (const { document } of pairs) offsets.push(total), total += document.rows;
  if (
    initial !== undefined &&
    (initial.length !== pairs.length || initial.some((v, i) => v.length !== pairs[i].document.rows))
  ) {
    throw new RangeError(
      "tokenScoresGpu(): initial must hold one value per position of each pair's document",
    );
  }
  if (total === 0 || layers.length === 0) {
    return pairs.map(({ document }, i) => Float64Array.from(initial?.[i] ?? new Float64Array(document.rows)));
  }
  const longest = Math.max(...pairs.map(({ document }) => document.rows));
  const widest = Math.max(...layers.map((layer) => layer.outDim));
  const y = Tensor.zeros(gpu, [longest * widest]);
  const scores = Tensor.zeros(gpu, [total]);
  if (initial !== undefined) {
    const start = new Float32Array(total);
    initial.forEach((values, i) => start.set(values, offsets[i]));
    scores.write(start);
  }
  try {
    pairs.forEach(({ query, document: { start, rows } }, i) => {
      if (rows === 0) return;
      layers.forEach(({ name, outDim, inDim }, l) => {
        const record = batch.records.get(name)!;
        matmul(record.a, preconditioned.get(name)!, y, {
          transB: true,
          m: rows,
          n: outDim,
          k: inDim,
          lda: inDim,
          ldb: inDim,
          offsetA: start * inDim,
          offsetB: query * outDim * inDim,
        });
        rowDot(y, record.g, rows, outDim, scores, {
          ldg: outDim,
          offsetG: start * outDim,
          offsetOut: offsets[i],
          accumulate: l > 0 || initial !== undefined,
        });
      });
    });
    const host = await scores.read();
    return pairs.map(({ document }, i) =>
      Float64Array.from(host.subarray(offsets[i], offsets[i] + document.rows))
    );
  } finally {
    gpu.flush();
    y.destroy();
    scores.destroy();
  }
}
