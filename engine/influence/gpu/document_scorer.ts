/**
 * Step 6 of EK-FAC on the GPU: streamed scoring of document chunks against all preconditioned queries.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { matmul } from "../../kernels/matmul.ts";
import { multiDot, multiDotAligned, multiDotPreferred } from "../../kernels/multi_dot.ts";
import { sumLeadingAxes, sumSquaresLastAxis } from "../../kernels/reduce.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { queryCount } from "./gpu_preconditioner.ts";
import { batchRows, type RecordBatch } from "./layer_records.ts";
import { recordSequenceGradients } from "./sequence_gradients.ts";

/** How {@linkcode DocumentScorer} forms the [Q, D] products of queries and document gradients. */
export type QueryProduct = "auto" | "multi-dot" | "gemm";

/** Options of {@linkcode DocumentScorer}. */
export interface DocumentScorerOptions {
  /** Most documents per chunk; fixes the size of every work buffer. */
  maxDocuments: number;
  /**
   * Kernel for the query-document products: `multi-dot` (split-K, needs every layer's out·in to be a
   * multiple of 4; layers that are not use the GEMM), `gemm`, or `auto` (default): `multi-dot` when
   * `multiDotPreferred(gpu, Q, maxDocuments)`. The choice is fixed per scorer, so a document's scores
   * never depend on which other documents share its chunk; the two kernels sum in different orders.
   */
  queryProduct?: QueryProduct;
}

/** Results of one chunk of D documents against Q queries. */
export interface ChunkScores {
  /** D. */
  documents: number;
  /** Raw scores I(q, x) = Σ_layers ⟨P_q, ∇_W L(x)⟩, [Q, D] row-major (nats of log p(completion)). */
  scores: Float64Array;
  /** Each layer's term ⟨P_q, ∇_W L(x)⟩ by weight name, [Q, D], in layer order. */
  perLayer: Map<string, Float64Array>;
  /**
   * ‖∇_W L(x)‖₂ over all tracked layers per document, [D]: the raw (not preconditioned) document-gradient
   * norm, divisor of the gradient-norm-normalised view (`gradientNormalisedScores`).
   */
  norms: Float64Array;
  /** Each layer's ‖DW_d‖² as summed on the device (f32 values), [D], in layer order (`norms` sums them). */
  squaredNorms: Map<string, Float64Array>;
}

/**
 * Scores chunks of documents against a fixed set of preconditioned queries. Per layer: the documents'
 * gradients DW_d = g_dᵀ a_d (batched GEMMs into a [maxDocuments, out·in] buffer, filled by one or more
 * forward/backward batches through {@linkcode DocumentScorer.add}), then every query against every
 * queued document at once ([Q, out·in] × [D, out·in]ᵀ → [Q, D], the query batching: the split-K
 * `multiDot` kernel or a GEMM, see {@linkcode DocumentScorerOptions.queryProduct}), and ‖DW_d‖²; the
 * layer terms are summed in layer order. Work memory is fixed by `maxDocuments` (L·maxDocuments·out·in
 * floats for the gradients): the number of chunks scored does not change it.
 *
 * @example
 * ```ts ignore
 * const scorer = new DocumentScorer(gpu, layers, preconditioned, { maxDocuments: 128 });
 * for (const batch of forwardBatches) scorer.add(batch); // up to 128 documents
 * const { scores } = await scorer.scoreQueued(); // one read-back
 * scorer.destroy();
 * ```
 */
export class DocumentScorer {
  /** The device. */
  readonly gpu: Gpu;
  /** Tracked layers, in the order of the per-layer results. */
  readonly layers: readonly TrackedLayer[];
  /** Q. */
  readonly queries: number;
  /** Most documents per chunk. */
  readonly maxDocuments: number;
  /** Whether the query-document products use `multiDot` (else `matmul`). */
  readonly multiDot: boolean;
  readonly #preconditioned: ReadonlyMap<string, Tensor>;
  /** Document gradients per tracked layer, [maxDocuments, out·in] each (the queued documents' rows). */
  readonly #gradients = new Map<string, Tensor<"f32">>();
  readonly #normScratch: Tensor<"f32">;
  /** Per-layer squared norms, [L, maxDocuments]. */
  readonly #squaredNorms: Tensor<"f32">;
  /** Per-layer scores, [L, Q·maxDocuments]. */
  readonly #perLayer: Tensor<"f32">;
  /** Scores summed over layers, [Q·maxDocuments]. */
  readonly #scores: Tensor<"f32">;
  /** Documents queued by `add` since the last `commit`. */
  #queued = 0;
  /** Documents of the last commit (−1: none yet). */
  #documents = -1;

  /**
   * Allocates the chunk buffers.
   *
   * @param gpu The device.
   * @param layers Tracked layers (shapes).
   * @param preconditioned P per layer name, f32 [Q, out, in] (from {@link ./gpu_preconditioner.ts}); kept
   *   by reference, not copied.
   * @param options Chunk capacity.
   * @throws {RangeError} When a tensor is missing or misshapen or `maxDocuments` is not a positive integer.
   */
  constructor(
    gpu: Gpu,
    layers: readonly TrackedLayer[],
    preconditioned: ReadonlyMap<string, Tensor>,
    options: DocumentScorerOptions,
  ) {
    const max = options.maxDocuments;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`DocumentScorer: maxDocuments must be a positive integer, got ${max}`);
    }
    this.gpu = gpu;
    this.layers = layers;
    this.queries = queryCount("DocumentScorer", layers, preconditioned);
    this.maxDocuments = max;
    const product = options.queryProduct ?? "auto";
    this.multiDot = product === "multi-dot" ||
      (product === "auto" && multiDotPreferred(gpu, this.queries, max));
    this.#preconditioned = preconditioned;
    for (const { name, outDim, inDim } of layers) {
      this.#gradients.set(name, Tensor.zeros(gpu, [max, outDim * inDim]));
    }
    this.#normScratch = Tensor.zeros(gpu, [max]);
    this.#squaredNorms = Tensor.zeros(gpu, [layers.length, max]);
    this.#perLayer = Tensor.zeros(gpu, [layers.length, this.queries * max]);
    this.#scores = Tensor.zeros(gpu, [this.queries * max]);
  }

  /** Documents queued by {@linkcode DocumentScorer.add} and not yet committed. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Records the gradients of a batch's documents into the next free slots, without scoring them yet:
   * several forward/backward batches can fill one product, so that the query products run on wide
   * matrices (software adapters lose most of their speed on a product only a few documents wide). Each
   * range of `batch.sequences` is a document (all its rows; `fitted` is ignored). The records may be
   * overwritten once this returns: the gradients are formed in the recorded order.
   *
   * @param batch Records of every tracked layer (document loss gradients) and the documents' row ranges.
   * @throws {RangeError} When the batch does not match the layers or the queue would exceed `maxDocuments`.
   */
  add(batch: RecordBatch): void {
    batchRows("DocumentScorer.add()", this.layers, batch);
    const documents = batch.sequences.length;
    if (this.#queued + documents > this.maxDocuments) {
      throw new RangeError(
        `DocumentScorer.add(): ${this.#queued} queued + ${documents} documents exceed maxDocuments ${this.maxDocuments}`,
      );
    }
    for (const layer of this.layers) {
      const dw = this.#gradients.get(layer.name)!;
      const record = batch.records.get(layer.name)!;
      recordSequenceGradients(layer, record, batch.sequences, dw, this.#queued, batch.slotRows);
    }
    this.#queued += documents;
  }

  /**
   * Records the scores of every queued document (in the order added) against all queries, and empties
   * the queue. A document's scores do not depend on which other documents share its product: each
   * output element sums over the same layer in the same order. The results stay on the GPU until
   * {@linkcode DocumentScorer.read}; a later commit overwrites them.
   */
  commit(): void {
    const documents = this.#queued, max = this.maxDocuments, queries = this.queries;
    this.#queued = 0;
    this.#documents = documents;
    if (documents === 0) return;
    this.layers.forEach((layer, l) => {
      const { name, outDim, inDim } = layer, size = outDim * inDim;
      const dw = this.#gradients.get(name)!;
      const product = { m: queries, n: documents, k: size, ldc: max, offsetC: l * queries * max };
      const p = this.#preconditioned.get(name)!;
      if (queries > 0 && this.multiDot && multiDotAligned(product)) {
        multiDot(p, dw, this.#perLayer, product);
      } else if (queries > 0) matmul(p, dw, this.#perLayer, { ...product, transB: true });
      sumSquaresLastAxis(dw, this.#normScratch);
      this.gpu.copyBuffer(this.#normScratch.buffer, 0, this.#squaredNorms.buffer, l * max * 4, max * 4);
    });
    if (queries > 0 && this.layers.length > 0) sumLeadingAxes(this.#perLayer, this.#scores);
  }

  /**
   * Records scoring one chunk: {@linkcode DocumentScorer.add} then {@linkcode DocumentScorer.commit}
   * (documents still queued are scored with it, ahead of the batch's).
   *
   * @param batch Records of every tracked layer (document loss gradients) and the documents' row ranges.
   * @throws {RangeError} When the batch does not match the layers or holds more than `maxDocuments`.
   */
  record(batch: RecordBatch): void {
    this.add(batch);
    this.commit();
  }

  /**
   * Reads the last recorded chunk's results (one round trip).
   *
   * @returns Scores, per-layer terms and document-gradient norms of the chunk's documents.
   * @throws {RangeError} When no chunk was recorded.
   */
  async read(): Promise<ChunkScores> {
    const documents = this.#documents, queries = this.queries, max = this.maxDocuments;
    if (documents < 0) throw new RangeError("DocumentScorer.read(): no chunk was committed");
    const [perLayer, scores, squaredNorms] = documents === 0
      ? [new Float32Array(0), new Float32Array(0), new Float32Array(0)]
      : await readTensors(this.#perLayer, this.#scores, this.#squaredNorms);
    const view = (source: Float32Array, offset: number) => {
      const out = new Float64Array(queries * documents);
      for (let q = 0; q < queries; q++) {
        for (let d = 0; d < documents; d++) out[q * documents + d] = source[offset + q * max + d];
      }
      return out;
    };
    const layerSquares = this.layers.map((_, l) =>
      Float64Array.from({ length: documents }, (_, d) => squaredNorms[l * max + d])
    );
    return {
      documents,
      scores: this.layers.length === 0 ? new Float64Array(queries * documents) : view(scores, 0),
      perLayer: new Map(this.layers.map(({ name }, l) => [name, view(perLayer, l * queries * max)])),
      norms: gradientNorms(layerSquares, documents),
      squaredNorms: new Map(this.layers.map(({ name }, l) => [name, layerSquares[l]])),
    };
  }

  /**
   * Commits the queued documents and reads their results.
   *
   * @returns As {@linkcode DocumentScorer.read}, in the order the documents were added.
   */
  scoreQueued(): Promise<ChunkScores> {
    this.commit();
    return this.read();
  }

  /**
   * Records one chunk and reads its results.
   *
   * @param batch As for {@linkcode DocumentScorer.record}.
   * @returns As {@linkcode DocumentScorer.read}.
   */
  score(batch: RecordBatch): Promise<ChunkScores> {
    this.record(batch);
    return this.read();
  }

  /** Releases the chunk buffers (not the preconditioned queries), after the work recorded so far. */
  destroy(): void {
    this.gpu.flush();
    for (
      const t of [
        ...this.#gradients.values(),
        this.#normScratch,
        this.#squaredNorms,
        this.#perLayer,
        this.#scores,
      ]
    ) {
      t.destroy();
    }
  }
}

/**
 * Document-gradient norms from each layer's squared norms: √(Σ_layers ‖DW_d‖²), summed in float64 in
 * layer order (so that norms joined from module groups equal those of one scorer of every layer).
 *
 * @param squaredNorms Per layer, in layer order, [documents].
 * @param documents D.
 * @returns ‖∇_W L(x)‖ per document, [D].
 */
export function gradientNorms(squaredNorms: readonly Float64Array[], documents: number): Float64Array {
  const norms = new Float64Array(documents);
  for (let d = 0; d < documents; d++) {
    let sum = 0;
    for (const layer of squaredNorms) sum += layer[d];
    norms[d] = Math.sqrt(sum);
  }
  return norms;
}
