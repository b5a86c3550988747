/**
 * `GpuLlama`: a Llama-architecture model on the device with forward, loss-and-gradient (the
 * trainer's {@link ../train/trainable_model.ts TrainableModel}), per-layer records for EK-FAC, and
 * cached forward steps for generation.
 *
 * @module
 */
import type { SampleLabelsOptions } from "../cpu/sample_labels.ts";
import type { Gpu } from "../gpu.ts";
import { copyColumns } from "../kernels/copy_columns.ts";
import type { AttentionTexture } from "../kernels/attention_texture.ts";
import { crossEntropy } from "../kernels/cross_entropy.ts";
import { ropeTable } from "../kernels/rope_table.ts";
import { ropeInverseFrequencies } from "../model/rope_frequencies.ts";
import { sampleLabels } from "../kernels/sample_labels.ts";
import type { LlamaConfig } from "../model/config.ts";
import { BLOCK_LINEARS, linearName, LM_HEAD } from "../model/param_names.ts";
import { readTensors, Tensor } from "../tensor.ts";
import { type CaptureLinear, recordBackward } from "./backward_pass.ts";
import { recordForward } from "./forward_pass.ts";
import { KvCache } from "./kv_cache.ts";
import { LlamaWeights } from "./llama_weights.ts";
import type { TrainableModel, TrainBatch } from "../train/trainable_model.ts";
import { type GpuLinearRecord, Workspace } from "./workspace.ts";

/** Options of {@linkcode GpuLlama.lossAndGradWithRecords}. */
export interface RecordOptions {
  /**
   * Linear layers to record, by weight name (`lm_head.weight` also when tied). When not empty, the
   * records an earlier call kept for other layers (in the same batch shape's workspace) are released.
   */
  layers: readonly string[];
  /**
   * Overwrite `grads` as `lossAndGrad` does (default true); false skips the weight gradients; a set of
   * linear weight names forms only theirs (the same bits; fused siblings too: gate with up, q with k and
   * v; the other entries of `grads` keep their values), and the backward pass stops once they and the
   * records are formed.
   */
  paramGrads?: boolean | ReadonlySet<string>;
  /**
   * Replace the batch's labels by labels drawn from the model's own softmax (the true Fisher);
   * positions whose given label is < 0 keep no target.
   */
  sample?: SampleLabelsOptions;
}

/** Result of {@linkcode GpuLlama.lossAndGradWithRecords}. */
export interface RecordedLoss {
  /** Summed weighted loss, [1]. */
  loss: Tensor;
  /** log p(label) per position, [N] (0 without a target). */
  logProbs: Tensor;
  /** The labels the loss used, i32 [N] (the batch's, or the sampled ones). */
  labels: Tensor;
  /** Records of the requested layers, in the order requested. */
  records: ReadonlyMap<string, GpuLinearRecord>;
}

/** Workspaces kept for distinct (batch, rows per sequence) shapes; the least recently used goes first. */
export const MAX_WORKSPACES = 4;

/**
 * A Llama model on the device (RMSNorm pre-norm, RoPE with HF `rotate_half`, grouped-query causal
 * attention, SwiGLU, no biases; tied or untied lm_head).
 *
 * Every tensor a call returns (loss, logits, log-probs, labels, records) belongs to the model and is
 * overwritten by the next call with the same (batch, seqLen); it stays valid until then or until
 * four other shapes have been used (copy or read it first).
 *
 * @example
 * ```ts ignore
 * import { acquireDevice, Tensor } from "../mod.ts";
 * import { initParams, parseLlamaConfig } from "../model/mod.ts";
 * import { GpuLlama } from "./gpu_llama.ts";
 * const gpu = await acquireDevice();
 * const config = parseLlamaConfig({
 *   hidden_size: 64, intermediate_size: 192, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100,
 * });
 * const model = new GpuLlama(gpu, config, initParams(config, 0));
 * const ids = Tensor.from(gpu, new Int32Array([1, 2, 3, 4]));
 * const labels = Tensor.from(gpu, new Int32Array([2, 3, 4, -1]));
 * const weights = Tensor.from(gpu, new Float32Array([1, 1, 1, 0]));
 * const loss = model.lossAndGrad({ ids, labels, weights, batch: 1, seqLen: 4 });
 * console.log((await loss.read())[0]);
 * ```
 */
export class GpuLlama implements TrainableModel {
  /** The device. */
  readonly gpu: Gpu;
  /** The configuration. */
  readonly config: LlamaConfig;
  readonly #weights: LlamaWeights;
  readonly #workspaces = new Map<string, Workspace>();
  #rope: Tensor | null = null;
  #ropePositions = 0;

  /**
   * Uploads a model.
   *
   * @param gpu Device context.
   * @param config The configuration.
   * @param params f32 parameters by HF name, laid out as `paramSpecs(config)`.
   * @throws {RangeError} When the head width is not a multiple of 4, or a parameter is missing or
   * misshapen.
   */
  constructor(gpu: Gpu, config: LlamaConfig, params: ReadonlyMap<string, Float32Array>) {
    if (config.headDim % 4 !== 0) {
      throw new RangeError(
        `Cannot build GpuLlama: the head width hidden_size/num_attention_heads = ${config.headDim} must be a multiple of 4`,
      );
    }
    this.gpu = gpu;
    this.config = config;
    this.#weights = new LlamaWeights(gpu, config, params);
  }

  /** Parameters by HF name, in `paramSpecs` order (tied: no `lm_head.weight`). */
  get params(): ReadonlyMap<string, Tensor> {
    return this.#weights.params;
  }

  /** Gradients, same keys and shapes as `params`. */
  get grads(): ReadonlyMap<string, Tensor> {
    return this.#weights.grads;
  }

  /**
   * Records a forward pass.
   *
   * @param ids Token ids, i32 [batch·seqLen] (row-major [batch, seqLen]).
   * @param batch Sequences B.
   * @param seqLen Tokens per sequence T.
   * @returns Logits [B·T, V] (owned by the model).
   * @throws {RangeError | TypeError} When `ids` does not match the shape.
   */
  forward(ids: Tensor, batch: number, seqLen: number): Tensor {
    checkTokens(ids, batch, seqLen);
    const ws = this.#workspace(batch, seqLen);
    this.#forward(ids, ws, ws.textures(), 0);
    return ws.forward.logits;
  }

  /**
   * Records a forward pass and the weighted loss without gradients.
   *
   * @param b The batch.
   * @returns The summed weighted loss [1] and per-position label log-probabilities [N].
   * @throws {RangeError | TypeError} When a tensor does not match the shape.
   */
  evaluate(b: TrainBatch): { loss: Tensor; logProbs: Tensor } {
    checkBatch(b);
    const ws = this.#workspace(b.batch, b.seqLen);
    this.#forward(b.ids, ws, ws.textures(), 0);
    const g = ws.backward();
    crossEntropy(ws.forward.logits, b.labels, b.weights, {
      rowLoss: g.rowLoss,
      logProbs: g.logProbs,
      loss: g.loss,
    });
    return { loss: g.loss, logProbs: g.logProbs };
  }

  /**
   * Records forward and backward for a batch and overwrites `grads` with d(Σ_pos weights·CE)/dθ.
   *
   * @param b The batch.
   * @returns The summed weighted loss, a 1-element tensor (not read back; overwritten by the next call).
   * @throws {RangeError | TypeError} When a tensor does not match the shape.
   */
  lossAndGrad(b: TrainBatch): Tensor {
    return this.lossAndGradWithRecords(b, { layers: [] }).loss;
  }

  /**
   * {@linkcode lossAndGrad} that also records, for chosen linear layers, the per-token inputs `a`
   * [N, in] and output gradients `g` [N, out] (Σ_t g_t a_tᵀ is the weight gradient), optionally
   * with labels sampled from the model and without weight gradients.
   *
   * @param b The batch.
   * @param options Layers, gradient and sampling choices.
   * @returns Loss, log-probabilities, labels used and records.
   * @throws {RangeError} When a layer name is not a linear weight of this model, or shapes disagree.
   */
  lossAndGradWithRecords(b: TrainBatch, options: RecordOptions): RecordedLoss {
    checkBatch(b);
    const dims = this.#weights.dims;
    const known = new Set([LM_HEAD]);
    for (let l = 0; l < dims.layers; l++) {
      for (const linear of BLOCK_LINEARS) known.add(linearName(l, linear));
    }
    for (const name of options.layers) {
      if (!known.has(name)) throw new RangeError(`Cannot record "${name}": not a linear layer of this model`);
    }
    if (typeof options.paramGrads === "object") {
      if (this.#weights.tied) known.delete(LM_HEAD);
      for (const name of options.paramGrads) {
        if (!known.has(name)) {
          throw new RangeError(
            `Cannot form the gradient of "${name}" alone: not an untied linear weight of this model`,
          );
        }
      }
    }
    const ws = this.#workspace(b.batch, b.seqLen);
    const textures = ws.textures(), g = ws.backward(), f = ws.forward;
    this.#forward(b.ids, ws, textures, 0);
    let labels = b.labels;
    if (options.sample !== undefined) {
      sampleLabels(f.logits, g.sampled, options.sample, b.labels);
      labels = g.sampled;
    }
    crossEntropy(f.logits, labels, b.weights, {
      rowLoss: g.rowLoss,
      logProbs: g.logProbs,
      loss: g.loss,
      dLogits: g.dLogits,
    });
    const wanted = new Set(options.layers), captured = new Map<string, GpuLinearRecord>();
    // Another layer set (a module group after another): the other layers' records are released.
    if (wanted.size > 0) ws.releaseRecordsExcept(wanted);
    const capture: CaptureLinear = (name, a, grad, column, outDim) => {
      if (!wanted.has(name)) return;
      const record = ws.record(name, a.shape[1], outDim);
      captured.set(name, record);
      this.gpu.copyBuffer(a.buffer, 0, record.a.buffer, 0, a.byteLength);
      if (column === 0 && outDim === grad.shape[1]) {
        this.gpu.copyBuffer(grad.buffer, 0, record.g.buffer, 0, grad.byteLength);
      } else {
        copyColumns(grad, column, record.g);
      }
    };
    recordBackward(this.#weights, this.#ropeTable(b.seqLen), b.ids, f, textures, g, {
      paramGrads: options.paramGrads ?? true,
      capture,
      needed: wanted,
    });
    const records = new Map(options.layers.map((name) => [name, captured.get(name)!]));
    return { loss: g.loss, logProbs: g.logProbs, labels, records };
  }

  /**
   * Records a forward pass, reads the logits back, and backpropagates the logit gradient that
   * `dLogitsOf` forms from them, overwriting `grads`: the gradient of any scalar of the logits whose
   * derivative the caller computes on the host (e.g. a KL divergence to fixed target distributions).
   *
   * @param ids Token ids, i32 [batch·seqLen] (row-major [batch, seqLen]).
   * @param batch Sequences B.
   * @param seqLen Tokens per sequence T.
   * @param dLogitsOf Maps the logits [B·T, V] to d(scalar)/d(logits), [B·T, V].
   * @returns Resolves once the backward pass is recorded (read `grads` after it).
   * @throws {RangeError | TypeError} When `ids` or the returned gradient does not match the shape.
   */
  async gradFromLogits(
    ids: Tensor,
    batch: number,
    seqLen: number,
    dLogitsOf: (logits: Float32Array) => Float32Array,
  ): Promise<void> {
    checkTokens(ids, batch, seqLen);
    const ws = this.#workspace(batch, seqLen);
    const textures = ws.textures(), g = ws.backward(), f = ws.forward;
    this.#forward(ids, ws, textures, 0);
    const logits = await f.logits.read() as Float32Array;
    g.dLogits.write(dLogitsOf(logits));
    recordBackward(this.#weights, this.#ropeTable(seqLen), ids, f, textures, g, { paramGrads: true });
  }

  /**
   * Allocates a key/value cache for {@linkcode forwardCached}.
   *
   * @param batch Sequences B.
   * @param maxLen Positions per sequence.
   * @returns The cache (release it with `destroy()`).
   * @throws {RangeError} When it exceeds the device's texture limits.
   */
  createKvCache(batch: number, maxLen: number): KvCache {
    return new KvCache(this.gpu, this.#weights.dims, batch, maxLen);
  }

  /**
   * Records a forward pass over positions pos0 … pos0 + tq − 1 of the cache's B sequences, reading
   * the cached keys and values of positions < pos0 and appending the new ones.
   *
   * @param ids Token ids, i32 [B·tq] (row-major [B, tq]).
   * @param cache The cache (rows 0 … pos0 − 1 filled by earlier calls).
   * @param pos0 Position of the first new token.
   * @param tq New tokens per sequence.
   * @returns Logits [B·tq, V] (owned by the model).
   * @throws {RangeError} When the positions exceed the cache.
   */
  forwardCached(ids: Tensor, cache: KvCache, pos0: number, tq: number): Tensor {
    checkTokens(ids, cache.batch, tq);
    if (!Number.isInteger(pos0) || pos0 < 0 || pos0 + tq > cache.maxLen) {
      throw new RangeError(
        `forwardCached: positions ${pos0}..${pos0 + tq - 1} exceed the cache's ${cache.maxLen}`,
      );
    }
    const ws = this.#workspace(cache.batch, tq);
    this.#forward(ids, ws, cache.textures, pos0);
    return ws.forward.logits;
  }

  /**
   * Reads every parameter back in one round trip.
   *
   * @returns f32 parameters by HF name, in `paramSpecs` order.
   */
  async readParams(): Promise<Map<string, Float32Array>> {
    const names = [...this.params.keys()];
    const values = await readTensors(...this.params.values());
    return new Map(names.map((name, i) => [name, values[i] as Float32Array]));
  }

  /** Releases every buffer and texture of the model (after submitting pending work). */
  destroy(): void {
    this.gpu.flush();
    for (const ws of this.#workspaces.values()) ws.destroy();
    this.#workspaces.clear();
    this.#rope?.destroy();
    this.#weights.destroy();
  }

  #forward(ids: Tensor, ws: Workspace, textures: readonly AttentionTexture[], pos0: number): void {
    const table = this.#ropeTable(pos0 + ws.forward.tq);
    this.#weights.refreshFused();
    recordForward(this.#weights, table, ids, ws.forward, textures, pos0);
  }

  #workspace(batch: number, tq: number): Workspace {
    const key = `${batch}×${tq}`;
    let ws = this.#workspaces.get(key);
    if (ws !== undefined) {
      this.#workspaces.delete(key);
    } else {
      ws = new Workspace(this.gpu, this.#weights.dims, batch, tq);
      if (this.#workspaces.size >= MAX_WORKSPACES) {
        const [oldestKey, oldest] = this.#workspaces.entries().next().value!;
        this.#workspaces.delete(oldestKey);
        oldest.destroy();
      }
    }
    this.#workspaces.set(key, ws);
    return ws;
  }

  /** The rotation table, grown to cover `positions` positions. */
  #ropeTable(positions: number): Tensor {
    if (this.#rope === null || positions > this.#ropePositions) {
      this.gpu.flush();
      this.#rope?.destroy();
      this.#ropePositions = Math.max(positions, 64, 2 * this.#ropePositions);
      const { headDim, ropeTheta } = this.config;
      const invFreq = ropeInverseFrequencies(this.config);
      this.#rope = Tensor.from(this.gpu, ropeTable(this.#ropePositions, headDim, ropeTheta, invFreq));
    }
    return this.#rope;
  }
}

function checkTokens(ids: Tensor, batch: number, seqLen: number): void {
  if (!Number.isInteger(batch) || batch <= 0 || !Number.isInteger(seqLen) || seqLen <= 0) {
    throw new RangeError(`GpuLlama: batch and seqLen must be positive integers, got ${batch} and ${seqLen}`);
  }
  if (ids.dtype !== "i32") throw new TypeError(`GpuLlama: ids must be i32, got ${ids.dtype}`);
  if (ids.size !== batch * seqLen) {
    throw new RangeError(`GpuLlama: ids has ${ids.size} elements, expected batch·seqLen = ${batch * seqLen}`);
  }
}

function checkBatch(b: TrainBatch): void {
  checkTokens(b.ids, b.batch, b.seqLen);
  const n = b.batch * b.seqLen;
  if (b.labels.dtype !== "i32" || b.weights.dtype !== "f32") {
    throw new TypeError("GpuLlama: labels must be i32 and weights f32");
  }
  if (b.labels.size !== n || b.weights.size !== n) {
    throw new RangeError(`GpuLlama: labels and weights must have batch·seqLen = ${n} elements`);
  }
}
