import type { Gpu } from "../../engine/gpu.ts";
import type { SequenceRows } from "../../engine/influence/gpu/mod.ts";
import { Tensor } from "../../engine/tensor.ts";
import type { TrainBatch } from "../../engine/train/trainable_model.ts";
import { PAD_ID } from "../../engine/train/make_batch.ts";

/**
 * Padded sequence lengths are rounded up to this, so that the model reuses its workspaces. Batches
 * are formed from documents sorted by length, so a small step wastes little: on the default corpus,
 * 8 pads 7% of the scored positions where 32 padded 14%.
 */
export const SEQ_LEN_MULTIPLE = 8;

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
  const longest = Math.max(1, ...rows.map((r) => r.length));
  const seqLen = Math.ceil(longest / SEQ_LEN_MULTIPLE) * SEQ_LEN_MULTIPLE;
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
 * Documents of a tokenized corpus by index.
 *
 * @param corpus Tokens and offsets (document i is tokens[offsets[i] … offsets[i+1])).
 * @param index Document index.
 * @returns A view of its ids.
 */
export function documentIds(corpus: { tokens: Int32Array; offsets: Int32Array }, index: number): Int32Array {
  return corpus.tokens.subarray(corpus.offsets[index], corpus.offsets[index + 1]);
}
