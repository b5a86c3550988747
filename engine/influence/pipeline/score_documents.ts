/**
 * Scoring documents against preconditioned query rows: forward/backward batches of documents of
 * similar length, their gradients queued in a `DocumentScorer` and multiplied with every query row at
 * once, streamed in ranges.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import type { GpuLlama } from "../../llama/gpu_llama.ts";
import { Tensor } from "../../tensor.ts";
import { REDUCE_CHUNK } from "../../kernels/reduce.ts";
import { DocumentScorer, gradientNorms } from "../gpu/document_scorer.ts";
import type { RecordBatch } from "../gpu/layer_records.ts";
import { tokenScoresGpu } from "../gpu/token_scores_gpu.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { type DeviceBatch, documentLabels, uploadSequences } from "./device_batch.ts";

/** Documents per forward/backward batch. */
export const SCORE_BATCH_DOCUMENTS = 16;

/**
 * Documents per query product (several forward/backward batches queued in the scorer; fixes its work
 * buffers, L·128·out·in floats). On llvmpipe a product 16 documents wide ran at a fifth of a GFLOP/s,
 * slower than the forward and backward passes that fed it; 128 wide fills the GEMM's tile.
 */
export const SCORE_PRODUCT_DOCUMENTS = 128;

/** Scores of a range of documents against every query row: arrays [rows, count] and [count]. */
export interface ScoreChunk {
  /** Raw scores, [rows, count] row-major (nats of log p(completion); positive: the document raises it). */
  scores: Float64Array;
  /** Each tracked layer's term, [rows, count], in layer order. */
  perLayer: Float64Array[];
  /** ‖∇_W L(x)‖ over the tracked layers per document, rounded to f32, [count]. */
  norms: Float64Array;
}

/** A {@linkcode ScoreChunk} with each layer's squared document-gradient norms (f32 values), [count] each. */
export interface LayerScoreChunk extends ScoreChunk {
  /** Per tracked layer, in layer order. */
  squaredNorms: Float64Array[];
}

/** How documents are batched for scoring: forward/backward batches, and documents per query product. */
export interface ScoringShape {
  /** Documents per forward/backward batch (at most `productDocuments`). */
  batchDocuments: number;
  /** Documents per query product (fixes the scorer's work buffers, L·this·out·in floats). */
  productDocuments: number;
}

/** The engine's usual {@linkcode ScoringShape}. */
export const DEFAULT_SCORING_SHAPE: Readonly<ScoringShape> = {
  batchDocuments: SCORE_BATCH_DOCUMENTS,
  productDocuments: SCORE_PRODUCT_DOCUMENTS,
};

/**
 * The chunk that one scorer of every tracked layer forms, from the same documents scored one module
 * group at a time: the groups' per-layer terms in layer order, their sum rounded to f32 after each
 * layer in layer order (as the device's `sumLeadingAxes` sums them, in chunks of `REDUCE_CHUNK` layers),
 * and the norms from the per-layer squared norms summed in float64 in layer order ({@linkcode gradientNorms}).
 * Bit for bit what the resident scorer returns.
 *
 * @param groups Each group's chunk (from {@linkcode DocumentScoring.scoreRangeByLayer}), in group order.
 * @param rows Query rows.
 * @param count Documents.
 * @returns The joined chunk.
 */
export function joinGroupChunks(groups: readonly LayerScoreChunk[], rows: number, count: number): ScoreChunk {
  const perLayer = groups.flatMap((g) => g.perLayer);
  const norms = gradientNorms(groups.flatMap((g) => g.squaredNorms), count).map(Math.fround);
  return { scores: sumLayersF32(perLayer, rows * count), perLayer, norms };
}

/** Σ over layers in f32, in layer order, as `reduce(…, "leading")` sums on the device. */
function sumLayersF32(terms: readonly Float64Array[], size: number): Float64Array {
  if (terms.length > REDUCE_CHUNK) {
    const parts: Float64Array[] = [];
    for (let first = 0; first < terms.length; first += REDUCE_CHUNK) {
      parts.push(sumLayersF32(terms.slice(first, first + REDUCE_CHUNK), size));
    }
    return sumLayersF32(parts, size);
  }
  const out = new Float64Array(size);
  for (const term of terms) {
    for (let i = 0; i < size; i++) out[i] = Math.fround(out[i] + term[i]);
  }
  return out;
}

/**
 * Query rows and a model on a device, ready to score documents. The rows are uploaded once; work
 * memory is fixed by the product width ({@linkcode SCORE_PRODUCT_DOCUMENTS} unless the shape says).
 */
export class DocumentScoring {
  /** Query rows Q. */
  readonly rows: number;
  /** The query rows on the device, f32 [Q, out, in] per tracked layer. */
  readonly p: ReadonlyMap<string, Tensor>;
  readonly #gpu: Gpu;
  readonly #llama: GpuLlama;
  readonly #layers: readonly TrackedLayer[];
  readonly #shape: ScoringShape;
  #scorer: DocumentScorer | undefined;

  /**
   * Uploads the query rows.
   *
   * @param gpu The device.
   * @param llama The model on it.
   * @param layers The tracked layers.
   * @param p Query rows per tracked layer, F32 [rows, out, in] row-major.
   * @param rows Number of query rows.
   * @param shape Batch and product widths (default {@linkcode DEFAULT_SCORING_SHAPE}).
   */
  constructor(
    gpu: Gpu,
    llama: GpuLlama,
    layers: readonly TrackedLayer[],
    p: ReadonlyMap<string, Float32Array>,
    rows: number,
    shape: ScoringShape = DEFAULT_SCORING_SHAPE,
  ) {
    this.#gpu = gpu;
    this.#llama = llama;
    this.#layers = layers;
    this.#shape = shape;
    this.rows = rows;
    this.p = new Map(
      layers.map((l) => [l.name, Tensor.from(gpu, p.get(l.name)!, [rows, l.outDim, l.inDim])]),
    );
  }

  /**
   * A padded batch of documents on the device and their gradient records (the model's forward and
   * backward with the summed next-token loss). Valid until the model's next call of the same shape.
   *
   * @param documents Every document's ids.
   * @param indices The batch's documents.
   * @returns The batch (destroy it after use) and its records (slot layout: padded rows have g = 0).
   */
  records(documents: readonly Int32Array[], indices: readonly number[]): {
    batch: DeviceBatch;
    records: RecordBatch;
  } {
    const seqs = indices.map((d) => documents[d]);
    const batch = uploadSequences(this.#gpu, seqs, (r) => documentLabels(seqs[r]));
    const out = this.#llama.lossAndGradWithRecords(batch.batch, {
      layers: this.#layers.map((l) => l.name),
      paramGrads: false,
    });
    // Padded rows carry no loss term and follow their document: their g is exactly zero.
    return {
      batch,
      records: { records: out.records, sequences: batch.sequences, slotRows: batch.batch.seqLen },
    };
  }

  /**
   * Scores documents [start, start + count) against every query row: batches of similar length,
   * queued in the scorer and multiplied `productDocuments` at most at a time. A document's scores do
   * not depend on the range it is scored in.
   *
   * @param documents Every document's ids.
   * @param start First document.
   * @param count Number of documents.
   * @param onDocuments Called with the number of documents scored after each product.
   * @returns Scores [rows, count], per-layer scores and document-gradient norms (rounded to f32).
   */
  async scoreRange(
    documents: readonly Int32Array[],
    start: number,
    count: number,
    onDocuments: (documents: number) => void = () => {},
  ): Promise<ScoreChunk> {
    const { scores, perLayer, norms } = await this.scoreRangeByLayer(documents, start, count, onDocuments);
    return { scores, perLayer, norms };
  }

  /**
   * {@linkcode DocumentScoring.scoreRange} that also returns each layer's squared document-gradient
   * norms, from which the scores of module groups are joined ({@linkcode joinGroupChunks}).
   *
   * @param documents Every document's ids.
   * @param start First document.
   * @param count Number of documents.
   * @param onDocuments Called with the number of documents scored after each product.
   * @returns As {@linkcode DocumentScoring.scoreRange}, and `squaredNorms` per layer, [count] each.
   */
  async scoreRangeByLayer(
    documents: readonly Int32Array[],
    start: number,
    count: number,
    onDocuments: (documents: number) => void = () => {},
  ): Promise<LayerScoreChunk> {
    this.#scorer ??= new DocumentScorer(this.#gpu, this.#layers, this.p, {
      maxDocuments: this.#shape.productDocuments,
    });
    const scorer = this.#scorer, layers = this.#layers, nq = this.rows;
    const result: LayerScoreChunk = {
      scores: new Float64Array(nq * count),
      perLayer: layers.map(() => new Float64Array(nq * count)),
      norms: new Float64Array(count),
      squaredNorms: layers.map(() => new Float64Array(count)),
    };
    // Batches of similar length (the documents by length, then index): a batch is padded to its longest
    // document, so this cuts the padded positions the forward and backward pass compute. Longest first:
    // the model's and the GEMM's work textures grow to the range's largest batch once, where ascending
    // lengths reallocated them batch after batch. (A document's scores do not depend on its batch.)
    const length = (d: number) => documents[d].length;
    const order = Array.from({ length: count }, (_, i) => start + i).sort((x, y) =>
      length(y) - length(x) || x - y
    );
    // Consecutive batches are queued in the scorer and scored together, productDocuments at most.
    let queued: number[] = [];
    const scoreQueued = async () => {
      const part = await scorer.scoreQueued();
      const place = (target: Float64Array, source: Float64Array) => {
        for (let q = 0; q < nq; q++) {
          for (let d = 0; d < queued.length; d++) {
            target[q * count + queued[d] - start] = source[q * queued.length + d];
          }
        }
      };
      place(result.scores, part.scores);
      layers.forEach((l, i) => {
        place(result.perLayer[i], part.perLayer.get(l.name)!);
        const squares = part.squaredNorms.get(l.name)!;
        queued.forEach((d, j) => (result.squaredNorms[i][d - start] = squares[j]));
      });
      // Rounded to f32 as stored, so that a chunk rebuilt from a stored file resumes exactly.
      queued.forEach((d, i) => (result.norms[d - start] = Math.fround(part.norms[i])));
      onDocuments(queued.length);
      queued = [];
    };
    const { batchDocuments, productDocuments } = this.#shape;
    for (let b = 0; b < count; b += batchDocuments) {
      const docs = order.slice(b, b + batchDocuments);
      if (queued.length + docs.length > productDocuments) await scoreQueued();
      const { batch, records } = this.records(documents, docs);
      scorer.add(records);
      batch.destroy();
      queued.push(...docs);
    }
    if (queued.length > 0) await scoreQueued();
    return result;
  }

  /**
   * Per-token scores of (query row, document) pairs: Σ_layers g_tᵀ P_q a_t per position t of the
   * document (they sum to the pair's score).
   *
   * @param documents Every document's ids.
   * @param indices The documents of one batch (at most `batchDocuments` for the usual memory).
   * @param pairs (query row, slot in `indices`) pairs.
   * @param initial Per pair, the running per-token values of the layers before these (module groups):
   *   every layer is added to them, in layer order, as one scorer of all layers adds them.
   * @returns Scores per position of each pair's document, in pair order.
   */
  async tokenScores(
    documents: readonly Int32Array[],
    indices: readonly number[],
    pairs: readonly { query: number; slot: number }[],
    initial?: readonly Float64Array[],
  ): Promise<Float64Array[]> {
    const { batch, records } = this.records(documents, indices);
    try {
      return await tokenScoresGpu(
        this.#gpu,
        this.#layers,
        this.p,
        records,
        pairs.map(({ query, slot }) => ({ query, document: batch.sequences[slot] })),
        initial,
      );
    } finally {
      batch.destroy();
    }
  }

  /** Releases the query rows and the scorer's buffers (not the model). */
  destroy(): void {
    this.#scorer?.destroy();
    for (const t of this.p.values()) t.destroy();
  }
}
