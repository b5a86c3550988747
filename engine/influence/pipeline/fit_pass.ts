/**
 * One pass of the EK-FAC fit over parts of a fit plan: the model's forward and backward with records,
 * fed to an accumulator (pass 1: A and S; pass 2: Λ), read back per part.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import type { GpuLlama } from "../../llama/gpu_llama.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import type { RecordBatch, SequenceRows } from "../gpu/layer_records.ts";
import { documentLabels, uploadSequences } from "./device_batch.ts";
import type { FitPlan } from "./fit_plan.ts";

/** An accumulator a fit pass feeds: covariances (pass 1) or Λ (pass 2). */
export interface PartAccumulator<S> {
  /** Adds a batch's records. */
  add(batch: RecordBatch): void;
  /** Reads back the sums since the last reset. */
  readSums(): Promise<S>;
  /** Zeroes the sums. */
  reset(): void;
}

/** What a fit pass over a range of parts produced. */
export interface FitPassResult<S> {
  /** Each part's sums, in part order. */
  sums: S[];
  /** The labels used per fit document of the range (fit order; −1 at each document's last position). */
  labels: Int32Array[];
}

/**
 * Runs one fit pass over parts [first, last): per batch the model's forward and backward with records
 * (labels sampled with the given draw, or the documents' next tokens), added to the accumulator; per
 * part the labels used and the sums are read back (no read-back per batch) and the accumulator reset.
 *
 * @param gpu The device.
 * @param llama The model on it.
 * @param layers Tracked weight names.
 * @param rows Every document's ids (the plan's documents index them).
 * @param plan The fit plan.
 * @param range Parts [first, last).
 * @param labels Sampled labels (seed and Philox draw) or `null` for the empirical Fisher's next tokens.
 * @param accumulator Pass 1 or pass 2 accumulator.
 * @param onDocuments Called with the number of documents after each batch.
 * @returns The parts' sums and the labels used.
 * @throws {Error} When a batch's rows disagree with the plan's row offsets.
 */
export async function runFitPass<S>(
  gpu: Gpu,
  llama: GpuLlama,
  layers: readonly string[],
  rows: readonly Int32Array[],
  plan: FitPlan,
  range: readonly [number, number],
  labels: { seed: number; draw: number } | null,
  accumulator: PartAccumulator<S>,
  onDocuments: (documents: number) => void = () => {},
): Promise<FitPassResult<S>> {
  const result: FitPassResult<S> = { sums: [], labels: [] };
  for (let p = range[0]; p < range[1]; p++) {
    const [firstBatch, lastBatch] = plan.parts[p];
    // Each batch's labels are copied on the device and read back once per part, with its sums: the
    // batches of a part are recorded without waiting for the device in between.
    const used: { labels: Tensor<"i32">; sequences: SequenceRows[] }[] = [];
    try {
      for (let b = firstBatch; b < lastBatch; b++) {
        const { documents, rowOffset } = plan.batches[b];
        const ids = documents.map((d) => rows[d]);
        const batch = uploadSequences(gpu, ids, (i) => documentLabels(ids[i]));
        const out = llama.lossAndGradWithRecords(batch.batch, {
          layers,
          paramGrads: false,
          sample: labels ? { seed: labels.seed, draw: labels.draw, rowOffset } : undefined,
        });
        const next = plan.batches[b + 1]?.rowOffset;
        if (next !== undefined && next !== rowOffset + batch.batch.batch * batch.batch.seqLen) {
          batch.destroy();
          throw new Error(
            `runFitPass(): batch ${b} spans rows ${rowOffset}.. unlike the plan's next offset ${next}`,
          );
        }
        // Slots: padded rows carry no loss term and follow their document, so their g is exactly zero.
        accumulator.add({ records: out.records, sequences: batch.sequences, slotRows: batch.batch.seqLen });
        const copy = Tensor.zeros(gpu, [out.labels.size], "i32");
        gpu.copyBuffer(out.labels.buffer, 0, copy.buffer, 0, out.labels.size * 4);
        used.push({ labels: copy, sequences: batch.sequences });
        batch.destroy();
        onDocuments(ids.length);
      }
      const host = used.length > 0 ? await readTensors(...used.map((u) => u.labels)) : [];
      used.forEach(({ sequences }, i) => {
        for (const { start, rows: length } of sequences) {
          result.labels.push((host[i] as Int32Array).slice(start, start + length));
        }
      });
    } finally {
      if (used.length > 0) gpu.flush();
      for (const u of used) u.labels.destroy();
    }
    result.sums.push(await accumulator.readSums());
    accumulator.reset();
  }
  return result;
}
