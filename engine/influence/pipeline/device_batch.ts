/**
 * Token rows uploaded as one padded batch, the form the model's forward and backward take.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { Tensor } from "../../tensor.ts";
import type { TrainBatch } from "../../train/trainable_model.ts";
import { PAD_ID } from "../../train/make_batch.ts";
import type { SequenceRows } from "../gpu/layer_records.ts";

/**
 * Padded sequence lengths are rounded up to this, so that the model reuses its workspaces. Batches
 * are formed from documents sorted by length, so a small step wastes little: on the default corpus,
 * 8 pads 7% of the scored positions where 32 padded 14%.
 */
export const SEQ_LEN_MULTIPLE = 8;

/**
 * Rows a batch of sequences takes once padded: each is padded to the longest, rounded up to
 * {@linkcode SEQ_LEN_MULTIPLE}.
 *
 * @param lengths The sequences' lengths.
 * @returns The padded length per sequence (at least SEQ_LEN_MULTIPLE).
 */
export function paddedLength(lengths: readonly number[]): number {
  const longest = Math.max(1, ...lengths);
  return Math.ceil(longest / SEQ_LEN_MULTIPLE) * SEQ_LEN_MULTIPLE;
}

/** A batch of token sequences on the device, each row one sequence, with loss weight 1 per label. */
export interface DeviceBatch {
  /** The batch as the model takes it (ids, labels, weights: f32 1 where a label is given, else 0). */
  batch: TrainBatch;
  /** Row ranges of the sequences' real tokens in the model's records (row b·seqLen, length of b). */
  sequences: SequenceRows[];
  /** Labels as uploaded, i32 [batch·seqLen] (−1: no loss term). */
  labels: Int32Array;
  /** Releases the three tensors. */
  destroy(): void;
}

/**
 * Uploads sequences as one padded batch whose loss is the SUM of the given labels' cross-entropies
 * (weight 1 each; the influence pipeline's document loss and query measurement are sums, not means).
 *
 * @param gpu The device.
 * @param rows Token ids per sequence.
 * @param labelsOf Labels per sequence (same length as its ids; negative: no loss term).
 * @returns The batch on the device.
 */
export function uploadSequences(
  gpu: Gpu,
  rows: readonly Int32Array[],
  labelsOf: (row: number) => Int32Array,
): DeviceBatch {
  const seqLen = paddedLength(rows.map((r) => r.length));
  const size = rows.length * seqLen;
  const ids = new Int32Array(size).fill(PAD_ID);
  const labels = new Int32Array(size).fill(-1);
  const sequences: SequenceRows[] = [];
  rows.forEach((r, b) => {
    ids.set(r, b * seqLen);
    labels.set(labelsOf(b), b * seqLen);
    sequences.push({ start: b * seqLen, rows: r.length });
  });
  const weights = Float32Array.from(labels, (l) => (l >= 0 ? 1 : 0));
  const batch: TrainBatch = {
    ids: Tensor.from(gpu, ids),
    labels: Tensor.from(gpu, labels),
    weights: Tensor.from(gpu, weights),
    batch: rows.length,
    seqLen,
  };
  return {
    batch,
    sequences,
    labels,
    destroy() {
      gpu.flush();
      batch.ids.destroy();
      batch.labels.destroy();
      batch.weights.destroy();
    },
  };
}

/**
 * Labels of a document: each position's next token, −1 at the last (the summed next-token loss).
 *
 * @param ids The document's ids.
 * @returns Labels of the same length.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { documentLabels } from "./device_batch.ts";
 * assert.deepEqual(documentLabels(new Int32Array([5, 6, 7])), new Int32Array([6, 7, -1]));
 * ```
 */
export function documentLabels(ids: Int32Array): Int32Array {
  return Int32Array.from(ids, (_, t) => (t + 1 < ids.length ? ids[t + 1] : -1));
}

/**
 * Labels of a query row (prompt then completion): the next token at the positions that predict a
 * completion token, −1 elsewhere (the prompt is masked).
 *
 * @param ids Prompt then completion ids.
 * @param promptLength Ids of the prompt (≥ 1).
 * @returns Labels of the same length.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { queryLabels } from "./device_batch.ts";
 * assert.deepEqual(queryLabels(new Int32Array([1, 2, 3, 4]), 2), new Int32Array([-1, 3, 4, -1]));
 * ```
 */
export function queryLabels(ids: Int32Array, promptLength: number): Int32Array {
  const start = promptLength - 1;
  return Int32Array.from(ids, (_, t) => (t >= start && t + 1 < ids.length ? ids[t + 1] : -1));
}
