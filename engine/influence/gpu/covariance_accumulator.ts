/**
 * Pass 1 of EK-FAC on the GPU: running sums of aᵀa and gᵀg per tracked layer over record batches,
 * finalised (in float64, on read-back) to the per-token averages A and S of the CPU reference.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { gatherRows } from "../../kernels/gather_rows.ts";
import { matmul } from "../../kernels/matmul.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import type { LayerCovariance } from "../cpu/fit_covariances.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { batchRows, fittedRowIndex, type LayerRecordTensors, type RecordBatch } from "./layer_records.ts";
import { ScratchTensors } from "./scratch_tensors.ts";

/** Options of {@linkcode CovarianceAccumulator}. */
export interface CovarianceAccumulatorOptions {
  /** Equal diagonal blocks kept in A and in S (1, 2 or 4; default 1): only those blocks are accumulated. */
  blocks?: 1 | 2 | 4;
}

/**
 * The raw sums of one accumulation as read back ({@linkcode CovarianceAccumulator.readSums}): Σ a aᵀ and
 * Σ g gᵀ exactly as the GPU summed them in f32 (only the diagonal blocks are meaningful), with counts.
 * Parts over disjoint fit batches combine exactly with {@linkcode finishCovariances}.
 */
export interface CovarianceSums {
  /** T of the part. */
  tokens: number;
  /** N_seq of the part. */
  sequences: number;
  /** Diagonal blocks kept. */
  blocks: 1 | 2 | 4;
  /** Per tracked weight name: a [in, in] and s [out, out] sums, row-major. */
  sums: Map<string, { a: Float32Array; s: Float32Array }>;
}

/** Which factors {@linkcode CovarianceAccumulator.add} accumulates from a batch. */
export type CovarianceFactors = "both" | "a" | "s";

/**
 * Accumulates Σ a aᵀ [in, in] and Σ g gᵀ [out, out] per tracked layer over the fitted rows of many
 * record batches (f32 GEMMs TN with β = 1 into resident sums; with blocks > 1 one batched strided GEMM
 * over the diagonal blocks), counting fit tokens and sequences. Nothing is read back until
 * {@linkcode CovarianceAccumulator.read}, which returns what `fitCovariances` returns.
 *
 * @example
 * ```ts ignore
 * const fit = new CovarianceAccumulator(gpu, layers, { blocks: 2 });
 * for (const batch of batches) fit.add(batch); // records only
 * const covariances = await fit.read(); // one read-back: Map<name, LayerCovariance>
 * ```
 */
export class CovarianceAccumulator {
  /** The device. */
  readonly gpu: Gpu;
  /** Tracked layers, in the order of the result. */
  readonly layers: readonly TrackedLayer[];
  /** Diagonal blocks kept. */
  readonly blocks: 1 | 2 | 4;
  readonly #sums: Map<string, { a: Tensor<"f32">; s: Tensor<"f32"> }>;
  readonly #scratch: ScratchTensors;
  #index: Tensor<"u32"> | null = null;
  #tokens = 0;
  #sequences = 0;

  /**
   * Allocates zeroed sums for every layer.
   *
   * @param gpu The device.
   * @param layers Tracked layers (shapes).
   * @param options Block-diagonal setting.
   * @throws {RangeError} When a layer width is not divisible by the block count.
   */
  constructor(gpu: Gpu, layers: readonly TrackedLayer[], options: CovarianceAccumulatorOptions = {}) {
    const blocks = options.blocks ?? 1;
    if (![1, 2, 4].includes(blocks)) throw new RangeError(`CovarianceAccumulator: blocks must be 1, 2 or 4`);
    for (const layer of layers) {
      if (layer.inDim % blocks !== 0 || layer.outDim % blocks !== 0) {
        throw new RangeError(
          `CovarianceAccumulator: ${layer.name} is [${layer.outDim}, ${layer.inDim}], not divisible into ${blocks} blocks`,
        );
      }
    }
    this.gpu = gpu;
    this.layers = layers;
    this.blocks = blocks;
    this.#scratch = new ScratchTensors(gpu);
    this.#sums = new Map(layers.map((layer) => [layer.name, {
      a: Tensor.zeros(gpu, [layer.inDim, layer.inDim]),
      s: Tensor.zeros(gpu, [layer.outDim, layer.outDim]),
    }]));
  }

  /** T: fit tokens accumulated so far (rows added with factors `both` or `a`). */
  get tokens(): number {
    return this.#tokens;
  }

  /** N_seq: fit sequences accumulated so far (sequences of batches added with factors `both` or `a`). */
  get sequences(): number {
    return this.#sequences;
  }

  /**
   * Records adding one batch's fitted rows. With `"s"` only gᵀg is accumulated and nothing is counted
   * (e.g. the pseudo-gradient records of the exact-expectation fit); with `"a"` only aᵀa, counted.
   *
   * @param batch Records of every tracked layer, sequence ranges, optional fitted mask.
   * @param factors Which sums receive the batch (default both).
   * @throws {RangeError} When the batch does not match the layers.
   */
  add(batch: RecordBatch, factors: CovarianceFactors = "both"): void {
    const rows = batchRows("CovarianceAccumulator.add()", this.layers, batch);
    const index = fittedRowIndex(batch);
    const dense = index.length === rows;
    if (!dense && index.length > 0) this.#uploadIndex(index);
    for (const layer of this.layers) {
      const record = batch.records.get(layer.name)!, sums = this.#sums.get(layer.name)!;
      if (factors !== "s") this.#addGram(record, "a", layer.inDim, index.length, dense, sums.a);
      if (factors !== "a") this.#addGram(record, "g", layer.outDim, index.length, dense, sums.s);
    }
    if (factors !== "s") {
      this.#tokens += index.length;
      this.#sequences += batch.sequences.length;
    }
  }

  /**
   * Reads the sums back (one round trip) and finalises them in float64 as the reference does:
   * (m_ij + m_ji) / (2T) inside the diagonal blocks, zero outside.
   *
   * @returns The factors of every layer, keyed by name in layer order.
   * @throws {RangeError} When no fit token was added.
   */
  async read(): Promise<Map<string, LayerCovariance>> {
    if (this.#tokens === 0) throw new RangeError("CovarianceAccumulator.read(): no fit token was added");
    return finishCovariances(this.layers, [await this.readSums()]);
  }

  /**
   * Reads the raw f32 sums and counts back (one round trip), e.g. one part of a fit split into parts
   * (see {@linkcode finishCovariances}).
   *
   * @returns The sums accumulated since construction or the last {@linkcode CovarianceAccumulator.reset}.
   */
  async readSums(): Promise<CovarianceSums> {
    const tensors = this.layers.flatMap(({ name }) => [this.#sums.get(name)!.a, this.#sums.get(name)!.s]);
    const host = tensors.length > 0 ? await readTensors(...tensors) : [];
    return {
      tokens: this.#tokens,
      sequences: this.#sequences,
      blocks: this.blocks,
      sums: new Map(this.layers.map(({ name }, l) => [name, { a: host[2 * l], s: host[2 * l + 1] }])),
    };
  }

  /** Records zeroing the sums and resets the counts, to accumulate the next part in the same buffers. */
  reset(): void {
    for (const { a, s } of this.#sums.values()) {
      this.gpu.clearBuffer(a.buffer), this.gpu.clearBuffer(s.buffer);
    }
    this.#tokens = 0;
    this.#sequences = 0;
  }

  /** Releases the sums and work tensors (after the work recorded so far). */
  destroy(): void {
    this.gpu.flush();
    for (const { a, s } of this.#sums.values()) a.destroy(), s.destroy();
    this.#index?.destroy();
    this.#scratch.destroy();
  }

  #uploadIndex(index: Uint32Array<ArrayBuffer>): void {
    if (this.#index === null || this.#index.size < index.length) {
      this.gpu.flush();
      this.#index?.destroy();
      this.#index = Tensor.zeros(this.gpu, [Math.max(index.length, 1024)], "u32");
    }
    // Keep program order: work recorded before this batch still reads the previous index.
    this.gpu.flush();
    this.gpu.device.queue.writeBuffer(this.#index.buffer, 0, index);
  }

  /** Records sum += Σ_fitted x xᵀ over the diagonal blocks. */
  #addGram(
    record: LayerRecordTensors,
    which: "a" | "g",
    width: number,
    count: number,
    dense: boolean,
    sum: Tensor,
  ): void {
    if (count === 0) return;
    let x = record[which];
    if (!dense) {
      const gathered = this.#scratch.atLeast(`gather-${width}`, count * width);
      gatherRows(x, this.#index!, count, gathered);
      x = gathered;
    }
    const size = width / this.blocks;
    matmul(x, x, sum, {
      transA: true,
      m: size,
      n: size,
      k: count,
      batch: this.blocks,
      lda: width,
      ldb: width,
      ldc: width,
      strideA: size,
      strideB: size,
      strideC: size * width + size,
      beta: 1,
    });
  }
}

/**
 * A and S from the sums of one or more parts over disjoint fit batches, finalised in float64 as the
 * reference does: m = Σ_parts sums (float64, in the given order), then (m_ij + m_ji) / (2T) inside the
 * diagonal blocks and zero outside, with T = Σ tokens. The result depends only on the parts and their
 * order, so a fit split into the same parts gives the same bits however the parts were computed
 * (one process or shards).
 *
 * @param layers Tracked layers, in the order of the result.
 * @param parts The parts' sums, in fit order.
 * @returns The factors of every layer, keyed by name in layer order.
 * @throws {RangeError} When there is no fit token, or the parts disagree on blocks or lack a layer.
 */
export function finishCovariances(
  layers: readonly TrackedLayer[],
  parts: readonly CovarianceSums[],
): Map<string, LayerCovariance> {
  const tokens = parts.reduce((n, p) => n + p.tokens, 0);
  const sequences = parts.reduce((n, p) => n + p.sequences, 0);
  if (tokens === 0) throw new RangeError("finishCovariances(): no fit token in the parts");
  const blocks = parts[0].blocks;
  if (parts.some((p) => p.blocks !== blocks)) {
    throw new RangeError("finishCovariances(): the parts were accumulated with different blocks");
  }
  const total = (name: string, which: "a" | "s", n: number) => {
    const m = new Float64Array(n * n);
    for (const part of parts) {
      const sum = part.sums.get(name)?.[which];
      if (sum === undefined || sum.length !== n * n) {
        throw new RangeError(`finishCovariances(): a part lacks the ${which} sum [${n}, ${n}] of ${name}`);
      }
      for (let i = 0; i < m.length; i++) m[i] += sum[i];
    }
    return m;
  };
  return new Map(layers.map((layer) => [layer.name, {
    ...layer,
    a: finish(total(layer.name, "a", layer.inDim), layer.inDim, tokens, blocks),
    s: finish(total(layer.name, "s", layer.outDim), layer.outDim, tokens, blocks),
    tokens,
    sequences,
    blocks,
  }]));
}

/** (m + mᵀ) / (2T) inside the diagonal blocks, zero outside, in float64. */
function finish(m: Float64Array, n: number, tokens: number, blocks: number): Float64Array {
  const out = new Float64Array(n * n), size = n / blocks;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const inBlock = Math.floor(i / size) === Math.floor(j / size);
      out[i * n + j] = out[j * n + i] = inBlock ? (m[i * n + j] + m[j * n + i]) / (2 * tokens) : 0;
    }
  }
  return out;
}
