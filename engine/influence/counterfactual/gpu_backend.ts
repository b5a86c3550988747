/**
 * The fine-tune backend on the GPU Llama: float32 forward and backward passes on the device, the
 * tracked weights kept in float64 on the host (uploaded as float32 after each update), gradients and
 * measurements summed in float64 on the host.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { GpuLlama } from "../../llama/gpu_llama.ts";
import type { LlamaConfig } from "../../model/config.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import { PAD_ID } from "../../train/make_batch.ts";
import type { TrainBatch } from "../../train/trainable_model.ts";
import type { LayerMatrices } from "../cpu/influence_scores.ts";
import { resolveTrackedLayers, type TrackedLayer } from "../tracked_layers.ts";
import type { FineTuneBackend, MeasuredQuery, TrackedGradient } from "./fine_tune_backend.ts";
import { klToTargets, logSoftmaxRows } from "./kl_to_targets.ts";

/** Sequences per forward/backward batch. */
export const FINE_TUNE_BATCH = 16;
/** Padded lengths are rounded up to this, so that the model reuses its workspaces. */
const SEQ_LEN_MULTIPLE = 8;

/** One padded batch on the device. */
interface RowsBatch {
  batch: TrainBatch;
  /** Each row's first position and length. */
  rows: { start: number; length: number }[];
  /** Labels as uploaded (−1: no loss term). */
  labels: Int32Array;
  destroy(): void;
}

function uploadRows(gpu: Gpu, rows: readonly Int32Array[], labelsOf: (row: number) => Int32Array): RowsBatch {
  const longest = Math.max(1, ...rows.map((r) => r.length));
  const seqLen = Math.ceil(longest / SEQ_LEN_MULTIPLE) * SEQ_LEN_MULTIPLE;
  const ids = new Int32Array(rows.length * seqLen).fill(PAD_ID);
  const labels = new Int32Array(rows.length * seqLen).fill(-1);
  rows.forEach((r, b) => {
    ids.set(r, b * seqLen);
    labels.set(labelsOf(b), b * seqLen);
  });
  const batch: TrainBatch = {
    ids: Tensor.from(gpu, ids),
    labels: Tensor.from(gpu, labels),
    weights: Tensor.from(gpu, Float32Array.from(labels, (l) => (l >= 0 ? 1 : 0))),
    batch: rows.length,
    seqLen,
  };
  return {
    batch,
    rows: rows.map((r, b) => ({ start: b * seqLen, length: r.length })),
    labels,
    destroy() {
      gpu.flush();
      batch.ids.destroy();
      batch.labels.destroy();
      batch.weights.destroy();
    },
  };
}

/** Next-token labels of a sequence: ids[t + 1], −1 at the last position. */
function nextTokens(ids: Int32Array): Int32Array {
  return Int32Array.from(ids, (_, t) => (t + 1 < ids.length ? ids[t + 1] : -1));
}

/** {@linkcode FineTuneBackend} on a {@linkcode GpuLlama}; create with {@linkcode GpuBackend.create}. */
export class GpuBackend implements FineTuneBackend {
  readonly layers: readonly TrackedLayer[];
  readonly final: ReadonlyMap<string, Float64Array>;
  readonly #gpu: Gpu;
  readonly #llama: GpuLlama;
  readonly #fit: readonly Int32Array[];
  readonly #tracked: ReadonlySet<string>;
  /** log p_final of every fit batch, [rows·seqLen, V] as padded. */
  #targets: Float64Array[] = [];

  private constructor(
    gpu: Gpu,
    config: LlamaConfig,
    params: ReadonlyMap<string, Float32Array>,
    tracked: readonly string[],
    fit: readonly Int32Array[],
  ) {
    this.#gpu = gpu;
    this.layers = resolveTrackedLayers(config, tracked);
    this.#llama = new GpuLlama(gpu, config, params);
    this.final = new Map(this.layers.map(({ name }) => [name, Float64Array.from(params.get(name)!)]));
    this.#fit = fit;
    this.#tracked = new Set(tracked);
  }

  /**
   * Uploads the model and computes the proximity term's targets at the final weights.
   *
   * @param gpu The device.
   * @param config The configuration.
   * @param params The final f32 parameters by HF name.
   * @param tracked Tracked weight names.
   * @param fit Fit sequences of the proximity term (each at least two tokens; may be empty when only the
   * gradient protocol is used).
   * @returns The backend (release it with `destroy()`).
   * @throws {RangeError} When a name is unknown or a fit sequence is shorter than two tokens.
   */
  static async create(
    gpu: Gpu,
    config: LlamaConfig,
    params: ReadonlyMap<string, Float32Array>,
    tracked: readonly string[],
    fit: readonly Int32Array[],
  ): Promise<GpuBackend> {
    if (fit.some((ids) => ids.length < 2)) {
      throw new RangeError("GpuBackend: every fit sequence needs at least two tokens");
    }
    const backend = new GpuBackend(gpu, config, params, tracked, fit);
    const vocab = config.vocabSize;
    for (let first = 0; first < fit.length; first += FINE_TUNE_BATCH) {
      const rows = fit.slice(first, first + FINE_TUNE_BATCH);
      const b = uploadRows(gpu, rows, (r) => nextTokens(rows[r]));
      const logits = await backend.#llama.forward(b.batch.ids, b.batch.batch, b.batch.seqLen).read();
      backend.#targets.push(logSoftmaxRows(logits, vocab));
      b.destroy();
    }
    return backend;
  }

  setTracked(values: LayerMatrices): void {
    for (const { name } of this.layers) {
      this.#llama.params.get(name)!.write(Float32Array.from(values.get(name)!));
    }
  }

  async documentsLoss(documents: readonly Int32Array[]): Promise<TrackedGradient> {
    const gradient = this.#zeros();
    let value = 0;
    for (let first = 0; first < documents.length; first += FINE_TUNE_BATCH) {
      const rows = documents.slice(first, first + FINE_TUNE_BATCH);
      const b = uploadRows(this.#gpu, rows, (r) => nextTokens(rows[r]));
      // Only the tracked weights' gradients: the backward pass stops below the lowest one.
      const { loss } = this.#llama.lossAndGradWithRecords(b.batch, { layers: [], paramGrads: this.#tracked });
      value += (await this.#accumulate(gradient, 1, loss))[0];
      b.destroy();
    }
    return { value, gradient };
  }

  async proximity(): Promise<TrackedGradient> {
    const gradient = this.#zeros();
    const vocab = this.#llama.config.vocabSize, n = this.#fit.length;
    let value = 0;
    for (let first = 0, part = 0; first < n; first += FINE_TUNE_BATCH, part++) {
      const rows = this.#fit.slice(first, first + FINE_TUNE_BATCH);
      const b = uploadRows(this.#gpu, rows, (r) => nextTokens(rows[r]));
      const weights = Float64Array.from(b.labels, (l) => (l >= 0 ? 1 / n : 0));
      await this.#llama.gradFromLogits(b.batch.ids, b.batch.batch, b.batch.seqLen, (logits) => {
        const { kl, dLogits } = klToTargets(logits, this.#targets[part], weights, vocab);
        value += kl;
        return Float32Array.from(dLogits);
      });
      await this.#accumulate(gradient, 1);
      b.destroy();
    }
    return { value, gradient };
  }

  async measure(queries: readonly MeasuredQuery[]): Promise<Float64Array> {
    const out = new Float64Array(queries.length);
    for (let first = 0; first < queries.length; first += FINE_TUNE_BATCH) {
      const part = queries.slice(first, first + FINE_TUNE_BATCH);
      const rows = part.map((q) => {
        const ids = new Int32Array(q.prompt.length + q.completion.length);
        ids.set(q.prompt);
        ids.set(q.completion, q.prompt.length);
        return ids;
      });
      const b = uploadRows(this.#gpu, rows, (r) => {
        const start = part[r].prompt.length - 1, ids = rows[r];
        return Int32Array.from(ids, (_, t) => (t >= start && t + 1 < ids.length ? ids[t + 1] : -1));
      });
      const { logProbs } = this.#llama.evaluate(b.batch);
      const values = await logProbs.read() as Float32Array;
      b.rows.forEach(({ start, length }, r) => {
        let sum = 0;
        for (let t = start; t < start + length; t++) sum += values[t];
        out[first + r] = sum;
      });
      b.destroy();
    }
    return out;
  }

  /** Releases the model. */
  destroy(): void {
    this.#llama.destroy();
  }

  #zeros(): Map<string, Float64Array> {
    return new Map(this.layers.map((l) => [l.name, new Float64Array(l.outDim * l.inDim)]));
  }

  /** Adds scale × the model's tracked gradients into `into`; returns the extra tensors read. */
  async #accumulate(into: Map<string, Float64Array>, scale: number, ...extra: Tensor[]): Promise<number[]> {
    const values = await readTensors(
      ...extra,
      ...this.layers.map(({ name }) => this.#llama.grads.get(name)!),
    );
    this.layers.forEach(({ name }, i) => {
      const sum = into.get(name)!, g = values[extra.length + i];
      for (let k = 0; k < sum.length; k++) sum[k] += scale * g[k];
    });
    return extra.map((_, i) => values[i][0]);
  }
}
