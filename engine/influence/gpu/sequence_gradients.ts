/**
 * Per-sequence weight gradients DW = g_seqᵀ a_seq from layer records, as batched GEMMs.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { matmul } from "../../kernels/matmul.ts";
import { Tensor } from "../../tensor.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { batchRows, type LayerRecordTensors, type RecordBatch, type SequenceRows } from "./layer_records.ts";

/**
 * Records DW_i = Σ_(rows of sequence i) g aᵀ, [out, in] row-major, for each given sequence into
 * consecutive slots of `out` (slot `first + i` at element (first + i)·out·in). Runs of consecutive
 * sequences with equal lengths and equal spacing (the usual batch-major layout) become one batched GEMM.
 *
 * @param layer The layer's shape.
 * @param record Its record (a [N, in], g [N, out]).
 * @param sequences Row ranges, in-bounds.
 * @param out Output, f32 with at least (first + sequences.length)·out·in elements, a buffer distinct
 *   from the record's.
 * @param first Slot of the first sequence (default 0).
 * @param slotRows {@linkcode RecordBatch.slotRows}: when given (and the sequences start at the first
 *   one's start plus multiples of it), one batched GEMM sums each sequence over its whole slot.
 * @throws {RangeError} When `out` is too small.
 */
export function recordSequenceGradients(
  layer: TrackedLayer,
  record: LayerRecordTensors,
  sequences: readonly SequenceRows[],
  out: Tensor,
  first = 0,
  slotRows?: number,
): void {
  const { outDim, inDim } = layer, size = outDim * inDim;
  if ((first + sequences.length) * size > out.size) {
    throw new RangeError(
      `recordSequenceGradients(): ${
        first + sequences.length
      } gradients of [${outDim}, ${inDim}] exceed [${out.shape}]`,
    );
  }
  // Whole slots: sequence i at row base + i·slotRows (base: the first one's start).
  const base = sequences[0]?.start ?? 0;
  const slots = slotRows !== undefined &&
    sequences.every(({ start, rows }, i) => start === base + i * slotRows && rows <= slotRows) &&
    base + sequences.length * slotRows <= record.g.size / outDim;
  if (slots && sequences.length > 0) {
    matmul(record.g, record.a, out, {
      transA: true,
      m: outDim,
      n: inDim,
      k: slotRows,
      batch: sequences.length,
      lda: outDim,
      ldb: inDim,
      ldc: inDim,
      offsetA: base * outDim,
      offsetB: base * inDim,
      offsetC: first * size,
      strideA: slotRows * outDim,
      strideB: slotRows * inDim,
      strideC: size,
    });
    return;
  }
  let i = 0;
  while (i < sequences.length) {
    const { start, rows } = sequences[i];
    let count = 1, spacing = 0;
    if (i + 1 < sequences.length && sequences[i + 1].rows === rows && sequences[i + 1].start > start) {
      spacing = sequences[i + 1].start - start;
      while (
        i + count < sequences.length && sequences[i + count].rows === rows &&
        sequences[i + count].start === start + count * spacing
      ) count++;
    }
    matmul(record.g, record.a, out, {
      transA: true,
      m: outDim,
      n: inDim,
      k: rows,
      batch: count,
      lda: outDim,
      ldb: inDim,
      ldc: inDim,
      offsetA: start * outDim,
      offsetB: start * inDim,
      offsetC: (first + i) * size,
      strideA: spacing * outDim,
      strideB: spacing * inDim,
      strideC: size,
    });
    i += count;
  }
}

/**
 * The weight gradient of every sequence of a batch, per layer, in new tensors: e.g. the query gradients
 * V (from records of the query loss −f, which has terms at completion positions only) for
 * {@link ./gpu_preconditioner.ts GpuPreconditioner}.
 *
 * @param gpu The device.
 * @param layers Tracked layers (shapes).
 * @param batch Records and the sequences' row ranges (`fitted` is not used).
 * @returns Per layer name, f32 [S, out, in] with S = batch.sequences.length, owned by the caller.
 * @throws {RangeError} When the batch does not match the layers.
 */
export function sequenceGradientTensors(
  gpu: Gpu,
  layers: readonly TrackedLayer[],
  batch: RecordBatch,
): Map<string, Tensor<"f32">> {
  batchRows("sequenceGradientTensors()", layers, batch);
  return new Map(layers.map((layer) => {
    const out = Tensor.zeros(gpu, [batch.sequences.length, layer.outDim, layer.inDim]);
    recordSequenceGradients(layer, batch.records.get(layer.name)!, batch.sequences, out, 0, batch.slotRows);
    return [layer.name, out];
  }));
}
