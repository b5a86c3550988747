/**
 * Test fixture for the GPU influence pipeline: a micro model, per-sequence float64 records from the
 * reference backward pass (exactly what the CPU reference sees), batched batch-major, cast to f32 and
 * uploaded.
 *
 * @module
 */

import type { Gpu } from "../../../../engine/gpu.ts";
import { Tensor } from "../../../../engine/tensor.ts";
import type { LinearRecord } from "../../../../engine/reference/llama_backward.ts";
import { llamaLossAndGradients } from "../../../../engine/reference/llama_loss.ts";
import {
  fitTargets,
  type ReferenceModel,
  singleSequence,
} from "../../../../engine/influence/cpu/reference_model.ts";
import { documentGradient } from "../../../../engine/influence/cpu/document_gradient.ts";
import type { RecordBatch, SequenceRows } from "../../../../engine/influence/gpu/layer_records.ts";
import type { TrackedLayer } from "../../../../engine/influence/tracked_layers.ts";

/** Host records of one batch: f32 arrays per layer, row ranges, optional fitted mask. */
export interface HostBatch {
  /** a [N, in] and g [N, out] per layer name, f32. */
  records: Map<string, { a: Float32Array; g: Float32Array }>;
  /** Row ranges, one per sequence. */
  sequences: SequenceRows[];
  /** Per row, 1 when it carries a loss term. */
  fitted: Uint8Array;
  /** Total rows N. */
  rows: number;
}

/**
 * Concatenates per-sequence float64 records into one batch, casting to f32.
 *
 * @param perSequence Records of each sequence (rows = its tokens).
 * @param layers Tracked layers to keep.
 * @param fitted Per sequence, per row: whether the row carries a loss term (default all but the last).
 * @returns The host batch.
 */
export function concatRecords(
  perSequence: readonly ReadonlyMap<string, LinearRecord>[],
  layers: readonly TrackedLayer[],
  fitted?: readonly ArrayLike<number>[],
): HostBatch {
  const lengths = perSequence.map((records) => records.get(layers[0].name)!.rows);
  const rows = lengths.reduce((a, b) => a + b, 0);
  const sequences: SequenceRows[] = [];
  const mask = new Uint8Array(rows);
  let start = 0;
  lengths.forEach((length, i) => {
    sequences.push({ start, rows: length });
    for (let t = 0; t < length; t++) {
      mask[start + t] = fitted ? (fitted[i][t] ? 1 : 0) : (t + 1 < length ? 1 : 0);
    }
    start += length;
  });
  const records = new Map(layers.map(({ name, inDim, outDim }) => {
    const a = new Float32Array(rows * inDim), g = new Float32Array(rows * outDim);
    let row = 0;
    for (const sequence of perSequence) {
      const r = sequence.get(name)!;
      a.set(r.a, row * inDim);
      g.set(r.g, row * outDim);
      row += r.rows;
    }
    return [name, { a, g }];
  }));
  return { records, sequences, fitted: mask, rows };
}

/**
 * Uploads a host batch.
 *
 * @param gpu The device.
 * @param host The batch.
 * @param withMask Pass the fitted mask explicitly (else the default rule applies).
 * @returns The GPU batch.
 */
export function uploadBatch(gpu: Gpu, host: HostBatch, withMask = false): RecordBatch {
  const records = new Map([...host.records].map(([name, { a, g }]) => [name, {
    a: Tensor.from(gpu, a, [host.rows, a.length / host.rows]),
    g: Tensor.from(gpu, g, [host.rows, g.length / host.rows]),
  }]));
  return { records, sequences: host.sequences, fitted: withMask ? host.fitted : undefined };
}

/**
 * The per-sequence records the reference `fitCovariances` / `fitLambda` compute for these labels.
 *
 * @param model The model.
 * @param sequences Token ids.
 * @param labels Labels per sequence (masked at the last position as the reference does).
 * @param layers Tracked layers.
 * @returns Records per sequence.
 */
export function fitRecords(
  model: ReferenceModel,
  sequences: readonly Int32Array[],
  labels: readonly Int32Array[],
  layers: readonly TrackedLayer[],
): Map<string, LinearRecord>[] {
  const names = layers.map((layer) => layer.name);
  return sequences.map((ids, i) =>
    llamaLossAndGradients(
      model.config,
      model.params,
      singleSequence(ids),
      { labels: fitTargets(labels[i]) },
      {
        record: (name) => names.includes(name),
      },
    ).records
  );
}

/**
 * Document records and gradients from the reference `documentGradient`.
 *
 * @param model The model.
 * @param documents Token ids.
 * @param layers Tracked layers.
 * @returns Per document: records and float64 gradients.
 */
export function documentRecords(
  model: ReferenceModel,
  documents: readonly Int32Array[],
  layers: readonly TrackedLayer[],
): { records: Map<string, LinearRecord>[]; gradients: Map<string, Float64Array>[] } {
  const names = layers.map((layer) => layer.name);
  const results = documents.map((ids) => documentGradient(model, ids, names));
  return { records: results.map((r) => r.records), gradients: results.map((r) => r.gradient) };
}

/**
 * Stacks per-query float64 gradients into f32 tensors [Q, out, in] per layer.
 *
 * @param gpu The device.
 * @param layers Tracked layers.
 * @param gradients Per query, per layer name.
 * @returns Tensors per layer name.
 */
export function uploadQueries(
  gpu: Gpu,
  layers: readonly TrackedLayer[],
  gradients: readonly ReadonlyMap<string, Float64Array>[],
): Map<string, Tensor> {
  return new Map(layers.map(({ name, outDim, inDim }) => {
    const data = new Float32Array(gradients.length * outDim * inDim);
    gradients.forEach((g, q) => data.set(g.get(name)!, q * outDim * inDim));
    return [name, Tensor.from(gpu, data, [gradients.length, outDim, inDim]) as Tensor];
  }));
}

/**
 * Splits stacked [Q, out, in] host values into per-query maps.
 *
 * @param layers Tracked layers.
 * @param host Per layer name, the read-back values.
 * @param queries Q.
 * @returns Per query, float64 matrices per layer name.
 */
export function splitQueries(
  layers: readonly TrackedLayer[],
  host: ReadonlyMap<string, Float32Array>,
  queries: number,
): Map<string, Float64Array>[] {
  return Array.from({ length: queries }, (_, q) =>
    new Map(layers.map(({ name, outDim, inDim }) => {
      const size = outDim * inDim;
      return [name, Float64Array.from(host.get(name)!.subarray(q * size, (q + 1) * size))];
    })));
}

/**
 * ‖x − y‖_max / ‖y‖_max.
 *
 * @param x Values.
 * @param y Reference values.
 * @returns The relative max-norm error.
 */
export function relativeMaxError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
