/**
 * The order in which training visits documents: a fresh seeded permutation every epoch.
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

  /**
   * @param documents Number of documents (positive).
   * @param seed Data-order seed.
   * @param state Where to start (default: the beginning of epoch 0).
   * @throws {RangeError} When `documents` is not positive or the state is out of range.
   */
  constructor(documents: number, seed: number, state: DataOrderState = { epoch: 0, cursor: 0 }) {
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
    this.documents = documents;
    this.seed = seed;
    this.#epoch = epoch;
    this.#cursor = cursor;
    this.#order = epochPermutation(documents, seed, epoch);
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
        this.#order = epochPermutation(this.documents, this.seed, this.#epoch);
      }
      out.push(this.#order[this.#cursor++]);
    }
    return out;
  }
}
