/**
 * The stored form of a fit split into parts (the engine's `planFit` and `runFitPass`, see
 * `engine/influence/pipeline/fit_plan.ts`): every part's raw f32 sums and counts, and the labels used,
 * as the covariances and factors stages (and their shards) write them, so that the parts computed in
 * one process or as shards of whole parts (`--shard I/N`) are summed in float64 in fit order to the
 * same bits.
 *
 * @module
 */

import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import type { CovarianceSums, LambdaSums } from "../../engine/influence/gpu/mod.ts";
import { corpusRows, type FitPlan, planFit as planFitRows } from "../../engine/influence/pipeline/mod.ts";

export {
  FIT_BATCH_DOCUMENTS,
  type FitBatch,
  type FitPassResult,
  type FitPlan,
  type PartAccumulator,
} from "../../engine/influence/pipeline/mod.ts";

/**
 * Plans a fit over a tokenized corpus's documents (the engine's `planFit` over its rows).
 *
 * @param corpus Tokenized corpus (document lengths).
 * @param documents Fit documents, in fit order.
 * @param partDocuments Documents per part, a positive multiple of FIT_BATCH_DOCUMENTS.
 * @returns The plan.
 * @throws {RangeError} When `partDocuments` is not a positive multiple of FIT_BATCH_DOCUMENTS.
 */
export function planFit(
  corpus: { documents: { tokens: Int32Array; offsets: Int32Array } },
  documents: number[],
  partDocuments: number,
): FitPlan {
  return planFitRows(corpusRows(corpus.documents), documents, partDocuments);
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
