/**
 * The EK-FAC fit split into parts: the fit documents (in fit order) in forward/backward batches, the
 * batches in parts of `fitPartDocuments` documents. Each part's sums are read back on their own and the
 * parts are summed in float64 in fit order (`finishCovariances`, `finishLambda`), so a fit computed in
 * one process and one computed as shards of whole parts give the same bits.
 *
 * @module
 */

import { paddedLength } from "./device_batch.ts";
import type { TokenRows } from "./token_rows.ts";

/** Fit documents per forward/backward batch (part of the fit settings: sampled labels depend on it). */
export const FIT_BATCH_DOCUMENTS = 8;

/** One forward/backward batch of the fit. */
export interface FitBatch {
  /** Its documents (row indices), in fit order. */
  documents: number[];
  /** Row offset of its first row in the fit's counter-based label draws (rows of the batches before). */
  rowOffset: number;
}

/** The fit's documents, batches and parts. */
export interface FitPlan {
  /** Fit documents in fit order. */
  documents: number[];
  /** Batches of {@linkcode FIT_BATCH_DOCUMENTS} consecutive fit documents. */
  batches: FitBatch[];
  /** Parts: [first, last) batch ranges of `partDocuments / FIT_BATCH_DOCUMENTS` batches. */
  parts: [number, number][];
}

/**
 * Plans a fit: batches and parts of the given fit documents, in order. Row offsets follow the padded
 * batch layout of `uploadSequences` (rows per sequence rounded up to `SEQ_LEN_MULTIPLE`).
 *
 * @param rows Every document's ids, or anything with their lengths (only the fit documents' are read).
 * @param documents Fit documents (indices into `rows`), in fit order.
 * @param partDocuments Documents per part, a positive multiple of FIT_BATCH_DOCUMENTS.
 * @returns The plan.
 * @throws {RangeError} When `partDocuments` is not a positive multiple of FIT_BATCH_DOCUMENTS.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planFit } from "./fit_plan.ts";
 * const rows = Array.from({ length: 20 }, (_, i) => new Int32Array(i + 1));
 * const plan = planFit(rows, rows.map((_, i) => i), 16);
 * assert.deepEqual(plan.parts, [[0, 2], [2, 3]]);
 * ```
 */
export function planFit(
  rows: ArrayLike<{ readonly length: number }>,
  documents: number[],
  partDocuments: number,
): FitPlan {
  const perPart = partDocuments / FIT_BATCH_DOCUMENTS;
  if (!Number.isSafeInteger(perPart) || perPart < 1) {
    throw new RangeError(
      `planFit(): partDocuments must be a positive multiple of ${FIT_BATCH_DOCUMENTS}, got ${partDocuments}`,
    );
  }
  const batches: FitBatch[] = [];
  let rowOffset = 0;
  for (let first = 0; first < documents.length; first += FIT_BATCH_DOCUMENTS) {
    const docs = documents.slice(first, first + FIT_BATCH_DOCUMENTS);
    batches.push({ documents: docs, rowOffset });
    rowOffset += docs.length * paddedLength(docs.map((d) => rows[d].length));
  }
  const parts: [number, number][] = [];
  for (let b = 0; b < batches.length; b += perPart) {
    parts.push([b, Math.min(b + perPart, batches.length)]);
  }
  return { documents, batches, parts };
}

/**
 * Fit documents in fit order: by length, then index (batches of similar length waste few padded
 * positions).
 *
 * @param rows Every document's ids.
 * @param documents The fit documents, any order.
 * @returns A sorted copy.
 */
export function fitOrder(rows: TokenRows, documents: readonly number[]): number[] {
  return [...documents].sort((x, y) => rows[x].length - rows[y].length || x - y);
}

/**
 * Fit documents in parts [first, last).
 *
 * @param plan The plan.
 * @param range Parts [first, last).
 * @returns Their number of documents.
 */
export function documentsInParts(plan: FitPlan, [first, last]: readonly [number, number]): number {
  let n = 0;
  for (let p = first; p < last; p++) {
    for (let b = plan.parts[p][0]; b < plan.parts[p][1]; b++) n += plan.batches[b].documents.length;
  }
  return n;
}

/**
 * Items of slice `index` (1-based) of `count`: a contiguous range [first, last) of `total` whole items
 * (fit parts or score chunks), so that the slices' results joined in order equal one run's.
 *
 * @param total Items.
 * @param index Slice, 1 … count.
 * @param count Slices.
 * @returns [first, last).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardRange } from "./fit_plan.ts";
 * assert.deepEqual([shardRange(5, 1, 2), shardRange(5, 2, 2)], [[0, 2], [2, 5]]);
 * ```
 */
export function shardRange(total: number, index: number, count: number): [number, number] {
  return [Math.floor(((index - 1) * total) / count), Math.floor((index * total) / count)];
}
