/**
 * Pass 2 of EK-FAC on the GPU: corrected eigenvalues Λ and the parameter-basis Fisher diagonal D from
 * per-sequence gradients, accumulated over record batches.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { accumulateSquares } from "../../kernels/accumulate_squares.ts";
import { matmul } from "../../kernels/matmul.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import type { LayerEigenbasis } from "../cpu/eigendecompose_covariances.ts";
import type { LayerLambda } from "../cpu/fit_lambda.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { type EigenbasisTensors, uploadEigenbases } from "./eigenbasis_tensors.ts";
import { batchRows, type RecordBatch } from "./layer_records.ts";
import { ScratchTensors } from "./scratch_tensors.ts";
import { recordSequenceGradients } from "./sequence_gradients.ts";

/** Options of {@linkcode LambdaAccumulator}. */
export interface LambdaAccumulatorOptions {
  /** Eigenbases per layer (for Λ); without them only D is fitted. */
  bases?: ReadonlyMap<string, LayerEigenbasis>;
  /**
   * Sequences whose gradients are held at once per layer (work memory: 2 × this × out·in floats);
   * default: {@linkcode lambdaSequencesPerPass} of the layers. Each pass's squares are summed before
   * they are added to Λ, so the sums depend on it: module groups pass the value of all tracked layers.
   */
  sequencesPerPass?: number;
}

/** Options of {@linkcode LambdaAccumulator.add}. */
export interface LambdaAddOptions {
  /**
   * Sequences this batch counts towards N_seq (default: its number of row ranges). The exact-expectation
   * fit adds every pseudo-gradient of a sequence as a range and counts the sequence once.
   */
  sequences?: number;
}

/**
 * Accumulates, per tracked layer, Σ_seq (Q_Sᵀ DW_seq Q_A)² and Σ_seq DW_seq² (elementwise) with
 * DW_seq = g_seqᵀ a_seq over each sequence's rows (batched GEMMs, then `accumulate_squares`, serial
 * over the sequences of a pass: deterministic). {@linkcode LambdaAccumulator.read} divides by N_seq in
 * float64 and returns what `fitLambda` returns.
 *
 * @example
 * ```ts ignore
 * const pass2 = new LambdaAccumulator(gpu, layers, { bases });
 * for (const batch of batches) pass2.add(batch); // fresh labels, records only
 * const lambda = await pass2.read(); // Map<name, LayerLambda>
 * ```
 */
export class LambdaAccumulator {
  /** The device. */
  readonly gpu: Gpu;
  /** Tracked layers, in the order of the result. */
  readonly layers: readonly TrackedLayer[];
  readonly #bases: Map<string, EigenbasisTensors> | null;
  readonly #sums: Map<string, { lambda: Tensor<"f32"> | null; diagonal: Tensor<"f32"> }>;
  readonly #perPass: number;
  readonly #scratch: ScratchTensors;
  #sequences = 0;

  /**
   * Allocates zeroed sums and uploads the eigenbases.
   *
   * @param gpu The device.
   * @param layers Tracked layers (shapes).
   * @param options Eigenbases and work-memory setting.
   * @throws {RangeError} When a basis is missing or misshapen, or `sequencesPerPass` is not a positive integer.
   */
  constructor(gpu: Gpu, layers: readonly TrackedLayer[], options: LambdaAccumulatorOptions = {}) {
    const perPass = options.sequencesPerPass ?? lambdaSequencesPerPass(layers);
    if (!Number.isSafeInteger(perPass) || perPass < 1) {
      throw new RangeError(`LambdaAccumulator: sequencesPerPass must be a positive integer, got ${perPass}`);
    }
    this.gpu = gpu;
    this.layers = layers;
    this.#perPass = perPass;
    this.#bases = options.bases === undefined
      ? null
      : uploadEigenbases(gpu, layers, options.bases, "LambdaAccumulator");
    this.#scratch = new ScratchTensors(gpu);
    this.#sums = new Map(layers.map(({ name, outDim, inDim }) => [name, {
      lambda: this.#bases === null ? null : Tensor.zeros(gpu, [outDim, inDim]),
      diagonal: Tensor.zeros(gpu, [outDim, inDim]),
    }]));
  }

  /** N_seq accumulated so far. */
  get sequences(): number {
    return this.#sequences;
  }

  /**
   * Records adding every sequence of a batch (all its rows: DW is the sequence's weight gradient).
   *
   * @param batch Records of every tracked layer and the sequences' row ranges (`fitted` is ignored).
   * @param options How many sequences the batch counts as.
   * @throws {RangeError} When the batch does not match the layers.
   */
  add(batch: RecordBatch, options: LambdaAddOptions = {}): void {
    batchRows("LambdaAccumulator.add()", this.layers, batch);
    const counted = options.sequences ?? batch.sequences.length;
    if (!Number.isSafeInteger(counted) || counted < 0) {
      throw new RangeError(`LambdaAccumulator.add(): sequences must be a count, got ${counted}`);
    }
    const capacity = Math.min(this.#perPass, batch.sequences.length);
    for (const layer of this.layers) {
      const { name, outDim, inDim } = layer, size = outDim * inDim;
      const record = batch.records.get(name)!, sums = this.#sums.get(name)!, basis = this.#bases?.get(name);
      const dw = this.#scratch.atLeast("dw", capacity * size);
      const rotated = this.#scratch.atLeast("rotated", capacity * size);
      for (let first = 0; first < batch.sequences.length; first += capacity) {
        const part = batch.sequences.slice(first, first + capacity), count = part.length;
        // Whole slots (one batched GEMM) when the batch has them; its padded rows add exact zeros.
        recordSequenceGradients(layer, record, part, dw, 0, batch.slotRows);
        accumulateSquares(dw, count, sums.diagonal);
        if (basis === undefined) continue;
        // Q_Sᵀ DW, then (Q_Sᵀ DW) Q_A, for every sequence of the pass (Q broadcast).
        const batched = { batch: count, strideC: size };
        matmul(basis.qs, dw, rotated, {
          ...batched,
          transA: true,
          m: outDim,
          n: inDim,
          k: outDim,
          strideA: 0,
          strideB: size,
        });
        matmul(rotated, basis.qa, dw, {
          ...batched,
          m: outDim,
          n: inDim,
          k: inDim,
          strideA: size,
          strideB: 0,
        });
        accumulateSquares(dw, count, sums.lambda!);
      }
    }
    this.#sequences += counted;
  }

  /**
   * Reads the sums back (one round trip) and divides by N_seq in float64.
   *
   * @returns Λ (when bases were given) and D per layer, keyed by name in layer order.
   * @throws {RangeError} When no sequence was counted.
   */
  async read(): Promise<Map<string, LayerLambda>> {
    if (this.#sequences === 0) throw new RangeError("LambdaAccumulator.read(): no fit sequence was added");
    return finishLambda(this.layers, [await this.readSums()]);
  }

  /**
   * Reads the raw f32 sums and the count back (one round trip), e.g. one part of a fit split into parts
   * (see {@linkcode finishLambda}).
   *
   * @returns The sums accumulated since construction or the last {@linkcode LambdaAccumulator.reset}.
   */
  async readSums(): Promise<LambdaSums> {
    const tensors = this.layers.flatMap(({ name }) => {
      const { lambda, diagonal } = this.#sums.get(name)!;
      return lambda === null ? [diagonal] : [diagonal, lambda];
    });
    const host = tensors.length > 0 ? await readTensors(...tensors) : [];
    const per = this.#bases === null ? 1 : 2;
    return {
      sequences: this.#sequences,
      sums: new Map(this.layers.map(({ name }, l) => [
        name,
        per === 2 ? { diagonal: host[2 * l], lambda: host[2 * l + 1] } : { diagonal: host[l] },
      ])),
    };
  }

  /** Records zeroing the sums and resets the count, to accumulate the next part in the same buffers. */
  reset(): void {
    for (const { lambda, diagonal } of this.#sums.values()) {
      this.gpu.clearBuffer(diagonal.buffer);
      if (lambda !== null) this.gpu.clearBuffer(lambda.buffer);
    }
    this.#sequences = 0;
  }

  /** Releases the sums, bases and work tensors (after the work recorded so far). */
  destroy(): void {
    this.gpu.flush();
    for (const { lambda, diagonal } of this.#sums.values()) lambda?.destroy(), diagonal.destroy();
    for (const { qa, qs } of this.#bases?.values() ?? []) qa.destroy(), qs.destroy();
    this.#scratch.destroy();
  }
}

/**
 * The raw sums of one accumulation as read back ({@linkcode LambdaAccumulator.readSums}): Σ DW² and
 * Σ (Q_Sᵀ DW Q_A)² exactly as the GPU summed them in f32, with the count. Parts over disjoint fit
 * batches combine exactly with {@linkcode finishLambda}.
 */
export interface LambdaSums {
  /** N_seq of the part. */
  sequences: number;
  /** Per tracked weight name: the diagonal sum and (when fitted in eigenbases) the Λ sum, [out, in]. */
  sums: Map<string, { diagonal: Float32Array; lambda?: Float32Array }>;
}

/**
 * Λ and D from the sums of one or more parts over disjoint fit batches: Σ_parts sums in float64 in the
 * given order, divided by N_seq = Σ sequences. The result depends only on the parts and their order
 * (one process or shards give the same bits).
 *
 * @param layers Tracked layers, in the order of the result.
 * @param parts The parts' sums, in fit order.
 * @returns Λ (when the parts hold it) and D per layer, keyed by name in layer order.
 * @throws {RangeError} When no sequence was counted or a part lacks or misshapes a layer's sums.
 */
export function finishLambda(
  layers: readonly TrackedLayer[],
  parts: readonly LambdaSums[],
): Map<string, LayerLambda> {
  const n = parts.reduce((k, p) => k + p.sequences, 0);
  if (n === 0) throw new RangeError("finishLambda(): no fit sequence in the parts");
  const withLambda = parts[0].sums.get(layers[0]?.name)?.lambda !== undefined;
  const total = (name: string, which: "diagonal" | "lambda", size: number) => {
    const m = new Float64Array(size);
    for (const part of parts) {
      const sum = part.sums.get(name)?.[which];
      if (sum === undefined || sum.length !== size) {
        throw new RangeError(`finishLambda(): a part lacks the ${which} sum of ${name} (${size} entries)`);
      }
      for (let i = 0; i < size; i++) m[i] += sum[i];
    }
    for (let i = 0; i < size; i++) m[i] /= n;
    return m;
  };
  return new Map(layers.map((layer) => {
    const size = layer.outDim * layer.inDim;
    const entry: LayerLambda = { ...layer, diagonal: total(layer.name, "diagonal", size), sequences: n };
    if (withLambda) entry.lambda = total(layer.name, "lambda", size);
    return [layer.name, entry];
  }));
}

/**
 * The default sequences per pass of {@linkcode LambdaAccumulator}: as many as fit in 4 Mi floats of the
 * largest layer, at least 1.
 *
 * @param layers Tracked layers (shapes).
 * @returns Sequences per pass.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lambdaSequencesPerPass } from "./lambda_accumulator.ts";
 * assert.equal(lambdaSequencesPerPass([{ name: "w", outDim: 1024, inDim: 1024 }]), 4);
 * ```
 */
export function lambdaSequencesPerPass(layers: readonly TrackedLayer[]): number {
  const largest = Math.max(1, ...layers.map((l) => l.outDim * l.inDim));
  return Math.max(1, Math.floor(4 * 2 ** 20 / largest));
}
