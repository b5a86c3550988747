/**
 * The order in which training visits documents: a fresh seeded permutation every epoch, optionally
 * regrouped into length buckets so that each batch pads to similar lengths.
 *
 * @module
 */
import { Rng } from "../model/prng.ts";

/** Position in the data stream: the epoch and how many of its documents were consumed. */
export interface DataOrderState {
  /** Epoch, from 0. */
  epoch: number;
  /** Documents of this epoch's permutation already handed out. */
  cursor: number;
}

/**
 * The permutation of documents for one epoch: Fisher-Yates driven by `Rng(seed, "data-order/<epoch>")`.
 *
 * @param documents Number of documents.
 * @param seed Data-order seed.
 * @param epoch Epoch, from 0.
 * @returns Document indices `0 … documents − 1` in visiting order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochPermutation } from "./data_order.ts";
 * assert.deepEqual([...epochPermutation(5, 1, 0)].sort(), [0, 1, 2, 3, 4]);
 * assert.deepEqual(epochPermutation(5, 1, 0), epochPermutation(5, 1, 0));
 * ```
 */
export function epochPermutation(documents: number, seed: number, epoch: number): Uint32Array {
  const rng = new Rng(seed, `data-order/${epoch}`);
  const order = new Uint32Array(documents);
  for (let i = 0; i < documents; i++) order[i] = i;
  for (let i = documents - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Length bucketing: batches drawn from windows of `buckets` batches sorted by document length. */
export interface LengthBuckets {
  /** Token count of every document. */
  lengths: ArrayLike<number>;
  /** Documents per batch. */
  batchSize: number;
  /** Batches per window (1: no regrouping). */
  buckets: number;
}

/**
 * An epoch's permutation regrouped into length buckets: the plain permutation
 * ({@linkcode epochPermutation}) is cut into windows of `buckets × batchSize` documents; each window is
 * sorted by length (ties in permutation order) and cut into batches, and the window's batches are put
 * in an order drawn from `Rng(seed, "data-order/<epoch>/window/<w>")`. Every document still appears
 * once per epoch and a batch holds documents of similar length, so padding nearly vanishes while
 * which documents meet in a window stays random. Consumed `batchSize` at a time from the start of
 * the epoch, the batches are exactly the buckets.
 *
 * @param documents Number of documents.
 * @param seed Data-order seed.
 * @param epoch Epoch, from 0.
 * @param bucketing Lengths, batch size and batches per window.
 * @returns Document indices `0 … documents − 1` in visiting order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bucketedPermutation } from "./data_order.ts";
 * const lengths = [5, 1, 9, 2, 8, 3, 7, 4];
 * const order = bucketedPermutation(8, 1, 0, { lengths, batchSize: 2, buckets: 4 });
 * assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
 * // One window of four batches: the sorted lengths 1 2 3 4 5 7 8 9, cut in twos, in a drawn order.
 * const batches = [0, 2, 4, 6].map((b) => [lengths[order[b]], lengths[order[b + 1]]].join(" "));
 * assert.deepEqual(batches.sort(), ["1 2", "3 4", "5 7", "8 9"]);
 * ```
 */
export function bucketedPermutation(
  documents: number,
  seed: number,
  epoch: number,
  bucketing: LengthBuckets,
): Uint32Array {
  const order = epochPermutation(documents, seed, epoch);
  const { lengths, batchSize, buckets } = bucketing;
  if (buckets <= 1) return order;
  const window = buckets * batchSize;
  const out = new Uint32Array(documents);
  for (let start = 0, w = 0; start < documents; start += window, w++) {
    const slice = Array.from(order.subarray(start, Math.min(start + window, documents)));
    const rank = new Map(slice.map((d, i) => [d, i]));
    slice.sort((a, b) => lengths[a] - lengths[b] || rank.get(a)! - rank.get(b)!);
    const batches = Math.ceil(slice.length / batchSize);
    const visit = Array.from({ length: batches }, (_, i) => i);
    const rng = new Rng(seed, `data-order/${epoch}/window/${w}`);
    for (let i = batches - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1));
      [visit[i], visit[j]] = [visit[j], visit[i]];
    }
    let at = start;
    for (const b of visit) {
      for (const d of slice.slice(b * batchSize, (b + 1) * batchSize)) out[at++] = d;
    }
  }
  return out;
}

/**
 * A deterministic stream of document indices, epoch after epoch; batches may span two epochs.
 * Its {@linkcode DataOrder.state} is all that is needed to continue the stream elsewhere.
 */
export class DataOrder {
  /** Number of documents. */
  readonly documents: number;
  /** Data-order seed. */
  readonly seed: number;
  #epoch: number;
  #cursor: number;
  #order: Uint32Array;
  readonly #bucketing: LengthBuckets | null;

  /**
   * An order positioned at `state`.
   *
   * @param documents Number of documents (positive).
   * @param seed Data-order seed.
   * @param state Where to start (default: the beginning of epoch 0).
   * @param bucketing Regroup each epoch into length buckets ({@linkcode bucketedPermutation}).
   * @throws {RangeError} When `documents` is not positive, the state is out of range or the
   * bucketing does not fit the documents.
   */
  constructor(
    documents: number,
    seed: number,
    state: DataOrderState = { epoch: 0, cursor: 0 },
    bucketing: LengthBuckets | null = null,
  ) {
    if (!Number.isInteger(documents) || documents < 1) {
      throw new RangeError(`Cannot order documents: need at least one, got ${documents}`);
    }
    const { epoch, cursor } = state;
    if (
      !Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(cursor) || cursor < 0 || cursor > documents
    ) {
      throw new RangeError(
        `Cannot restore data order: epoch ${epoch}, cursor ${cursor} is out of range for ${documents} documents`,
      );
    }
    if (bucketing !== null) {
      const { lengths, batchSize, buckets } = bucketing;
      if (lengths.length !== documents || !Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError(
          `Cannot bucket ${documents} documents: got ${lengths.length} lengths and batch size ${batchSize}`,
        );
      }
      if (!Number.isInteger(buckets) || buckets < 1) {
        throw new RangeError(`Cannot bucket documents: buckets must be a positive integer, got ${buckets}`);
      }
    }
    this.documents = documents;
    this.seed = seed;
    this.#bucketing = bucketing;
    this.#epoch = epoch;
    this.#cursor = cursor;
    this.#order = this.#permutation(epoch);
  }

  #permutation(epoch: number): Uint32Array {
    return this.#bucketing === null
      ? epochPermutation(this.documents, this.seed, epoch)
      : bucketedPermutation(this.documents, this.seed, epoch, this.#bucketing);
  }

  /** The current position (a copy). */
  get state(): DataOrderState {
    return { epoch: this.#epoch, cursor: this.#cursor };
  }

  /**
   * Hands out the next `count` document indices, starting a new epoch whenever one runs out.
   *
   * @param count How many indices.
   * @returns The indices, in order.
   */
  next(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      if (this.#cursor === this.documents) {
        this.#epoch++;
        this.#cursor = 0;
        this.#order = this.#permutation(this.#epoch);
      }
      out.push(this.#order[this.#cursor++]);
    }
    return out;
  }
}
