/**
 * The EK-FAC fit split into parts: the fit documents (sorted by length) in forward/backward batches,
 * the batches in parts of `influence.fitPartDocuments` documents. Each part's sums are read back on their own and
 * the parts are summed in float64 in fit order (`finishCovariances`, `finishLambda`), so a fit computed
 * in one process and one computed as shards of whole parts (`--shard I/N`) give the same bits.
 *
 * @module
 */

import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import type { GpuLlama } from "../../engine/llama/mod.ts";
import type { CovarianceSums, LambdaSums, RecordBatch } from "../../engine/influence/gpu/mod.ts";
import { nextTokenLabels } from "../../engine/reference/cross_entropy.ts";
import { readTensors } from "../../engine/tensor.ts";
import type { Gpu } from "../../engine/gpu.ts";
import type { Progress } from "../run/progress.ts";
import { documentIds, SEQ_LEN_MULTIPLE, uploadSequences } from "./device_batch.ts";
import type { TokenizedCorpus } from "../stages/tokenize_stage.ts";

/** Fit documents per forward/backward batch (part of the fit settings: sampled labels depend on it). */
export const FIT_BATCH_DOCUMENTS = 8;

/** One forward/backward batch of the fit. */
export interface FitBatch {
  /** Its documents (corpus indices), in fit order. */
  documents: number[];
  /** Row offset of its first row in the fit's counter-based label draws (rows of the batches before). */
  rowOffset: number;
}

/** The fit's documents, batches and parts. */
export interface FitPlan {
  /** Fit documents in fit order (by length, then index). */
  documents: number[];
  /** Batches of {@linkcode FIT_BATCH_DOCUMENTS} consecutive fit documents. */
  batches: FitBatch[];
  /** Parts: [first, last) batch ranges of `partDocuments / FIT_BATCH_DOCUMENTS` batches. */
  parts: [number, number][];
}

/**
 * Plans a fit: batches and parts of the given fit documents, in order. Row offsets follow the padded
 * batch layout of `uploadSequences` (rows per sequence rounded up to SEQ_LEN_MULTIPLE).
 *
 * @param corpus Tokenized corpus (document lengths).
 * @param documents Fit documents, in fit order.
 * @param partDocuments Documents per part, a positive multiple of FIT_BATCH_DOCUMENTS.
 * @returns The plan.
 * @throws {RangeError} When `partDocuments` is not a positive multiple of FIT_BATCH_DOCUMENTS.
 */
export function planFit(
  corpus: Pick<TokenizedCorpus, "documents">,
  documents: number[],
  partDocuments: number,
): FitPlan {
  const perPart = partDocuments / FIT_BATCH_DOCUMENTS;
  if (!Number.isSafeInteger(perPart) || perPart < 1) {
    throw new RangeError(
      `planFit(): partDocuments must be a positive multiple of ${FIT_BATCH_DOCUMENTS}, got ${partDocuments}`,
    );
  }
  const length = (d: number) => corpus.documents.offsets[d + 1] - corpus.documents.offsets[d];
  const batches: FitBatch[] = [];
  let rowOffset = 0;
  for (let first = 0; first < documents.length; first += FIT_BATCH_DOCUMENTS) {
    const docs = documents.slice(first, first + FIT_BATCH_DOCUMENTS);
    batches.push({ documents: docs, rowOffset });
    const longest = Math.max(1, ...docs.map(length));
    rowOffset += docs.length * Math.ceil(longest / SEQ_LEN_MULTIPLE) * SEQ_LEN_MULTIPLE;
  }
  const parts: [number, number][] = [];
  for (let b = 0; b < batches.length; b += perPart) {
    parts.push([b, Math.min(b + perPart, batches.length)]);
  }
  return { documents, batches, parts };
}

/** An accumulator a fit pass feeds: covariances (pass 1) or Λ (pass 2). */
export interface PartAccumulator<S> {
  add(batch: RecordBatch): void;
  readSums(): Promise<S>;
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
 * part the sums are read back and the accumulator reset.
 *
 * @param gpu The device.
 * @param llama The model on it.
 * @param layers Tracked weight names.
 * @param corpus The tokenized corpus.
 * @param plan The fit plan.
 * @param range Parts [first, last).
 * @param labels Sampled labels (seed and Philox draw) or `null` for the empirical Fisher's next tokens.
 * @param accumulator Pass 1 or pass 2 accumulator.
 * @param progress Ticked per document.
 * @returns The parts' sums and the labels used.
 */
export async function runFitPass<S>(
  gpu: Gpu,
  llama: GpuLlama,
  layers: string[],
  corpus: Pick<TokenizedCorpus, "documents">,
  plan: FitPlan,
  range: [number, number],
  labels: { seed: number; draw: number } | null,
  accumulator: PartAccumulator<S>,
  progress: Progress,
): Promise<FitPassResult<S>> {
  const result: FitPassResult<S> = { sums: [], labels: [] };
  for (let p = range[0]; p < range[1]; p++) {
    const [firstBatch, lastBatch] = plan.parts[p];
    for (let b = firstBatch; b < lastBatch; b++) {
      const { documents, rowOffset } = plan.batches[b];
      const rows = documents.map((d) => documentIds(corpus.documents, d));
      const batch = uploadSequences(gpu, rows, (i) => nextTokenLabels(rows[i], 1, rows[i].length));
      const out = llama.lossAndGradWithRecords(batch.batch, {
        layers,
        paramGrads: false,
        sample: labels ? { seed: labels.seed, draw: labels.draw, rowOffset } : undefined,
      });
      const next = plan.batches[b + 1]?.rowOffset;
      if (next !== undefined && next !== rowOffset + batch.batch.batch * batch.batch.seqLen) {
        throw new Error(
          `runFitPass(): batch ${b} spans rows ${rowOffset}.. unlike the plan's next offset ${next}`,
        );
      }
      accumulator.add({ records: out.records, sequences: batch.sequences });
      const [used] = await readTensors(out.labels);
      for (const { start, rows: length } of batch.sequences) {
        result.labels.push((used as Int32Array).slice(start, start + length));
      }
      batch.destroy();
      progress.tick(rows.length);
    }
    result.sums.push(await accumulator.readSums());
    accumulator.reset();
  }
  return result;
}

/** The parts of one pass as a stage stores them: each part's raw f32 sums and counts, and the labels. */
export interface StoredParts<S> {
  /** First part index held (parts [first, first + sums.length)). */
  first: number;
  sums: S[];
  /** Labels per fit document of these parts, in fit order. */
  labels: Int32Array[];
}

/**
 * Encodes the parts of a pass: `part<k>.<weight>.<field>` F32 (k = global part index; fields a, s for
 * covariances, diagonal, lambda for Λ), `labels` I32 (concatenated) with `label_offsets` I32 [docs + 1];
 * metadata `first` and `counts` (JSON: tokens and sequences per part) and `blocks` (covariances).
 *
 * @param parts The parts.
 * @returns The safetensors bytes.
 */
export function encodeParts(parts: StoredParts<CovarianceSums | LambdaSums>): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  const counts: { tokens?: number; sequences: number; blocks?: number }[] = [];
  parts.sums.forEach((part, i) => {
    const k = parts.first + i;
    counts.push(
      "tokens" in part
        ? { tokens: part.tokens, sequences: part.sequences, blocks: part.blocks }
        : { sequences: part.sequences },
    );
    for (const [name, fields] of part.sums) {
      for (const [field, data] of Object.entries(fields)) {
        if (data !== undefined) {
          tensors[`part${k}.${name}.${field}`] = { dtype: "F32", shape: [data.length], data };
        }
      }
    }
  });
  const offsets = new Int32Array(parts.labels.length + 1);
  parts.labels.forEach((l, i) => (offsets[i + 1] = offsets[i] + l.length));
  const labels = new Int32Array(offsets[parts.labels.length]);
  parts.labels.forEach((l, i) => labels.set(l, offsets[i]));
  tensors.labels = { dtype: "I32", shape: [labels.length], data: labels };
  tensors.label_offsets = { dtype: "I32", shape: [offsets.length], data: offsets };
  return writeSafetensors(tensors, { first: String(parts.first), counts: JSON.stringify(counts) });
}

/**
 * Decodes {@linkcode encodeParts}'s file.
 *
 * @param bytes The file.
 * @param layers Tracked weight names expected in every part.
 * @param what File name, for errors.
 * @returns The parts (covariance sums when the counts hold tokens, else Λ sums).
 * @throws {Error} When the file is malformed or lacks a layer.
 */
export function decodeParts(
  bytes: Uint8Array,
  layers: readonly string[],
  what: string,
): StoredParts<CovarianceSums | LambdaSums> {
  const file = readSafetensors(bytes);
  const first = Number(file.metadata.first);
  const counts = JSON.parse(file.metadata.counts ?? "null") as
    | { tokens?: number; sequences: number; blocks?: 1 | 2 | 4 }[]
    | null;
  if (!Number.isSafeInteger(first) || !Array.isArray(counts)) {
    throw new Error(`${what}: metadata "first" and "counts" are missing or malformed`);
  }
  const f32 = (name: string): Float32Array | undefined => {
    const t = file.tensors.get(name);
    if (t === undefined) return undefined;
    if (t.dtype !== "F32") throw new Error(`${what}: tensor "${name}" is ${t.dtype}, expected F32`);
    return t.data as Float32Array;
  };
  const sums = counts.map((c, i) => {
    const k = first + i;
    const field = (name: string, f: string) => {
      const data = f32(`part${k}.${name}.${f}`);
      if (data === undefined) throw new Error(`${what}: part ${k} lacks "${name}.${f}"`);
      return data;
    };
    if (c.tokens !== undefined) {
      return {
        tokens: c.tokens,
        sequences: c.sequences,
        blocks: c.blocks ?? 1,
        sums: new Map(layers.map((n) => [n, { a: field(n, "a"), s: field(n, "s") }])),
      } satisfies CovarianceSums;
    }
    return {
      sequences: c.sequences,
      sums: new Map(
        layers.map((n) => [n, { diagonal: field(n, "diagonal"), lambda: f32(`part${k}.${n}.lambda`) }]),
      ),
    } satisfies LambdaSums;
  });
  const labelsT = file.tensors.get("labels"), offsetsT = file.tensors.get("label_offsets");
  if (labelsT?.dtype !== "I32" || offsetsT?.dtype !== "I32") {
    throw new Error(`${what}: I32 tensors "labels" and "label_offsets" are required`);
  }
  const all = labelsT.data as Int32Array, offsets = offsetsT.data as Int32Array;
  const labels = Array.from({ length: offsets.length - 1 }, (_, i) => all.slice(offsets[i], offsets[i + 1]));
  return { first, sums, labels };
}

/**
 * Joins the stored parts of shards (in shard order) into one, checking that they are consecutive.
 *
 * @param shards The shards' parts, in shard order.
 * @param total The number of parts of the fit.
 * @param what Stage instance, for errors.
 * @returns All parts.
 * @throws {Error} When parts are missing, repeated or out of order.
 */
export function joinParts<S>(shards: readonly StoredParts<S>[], total: number, what: string): StoredParts<S> {
  const out: StoredParts<S> = { first: 0, sums: [], labels: [] };
  for (const shard of shards) {
    if (shard.sums.length === 0) continue;
    if (shard.first !== out.sums.length) {
      throw new Error(`${what}: a shard holds parts from ${shard.first}, expected ${out.sums.length}`);
    }
    out.sums.push(...shard.sums);
    out.labels.push(...shard.labels);
  }
  if (out.sums.length !== total) {
    throw new Error(`${what}: the shards hold ${out.sums.length} of ${total} parts`);
  }
  return out;
}
