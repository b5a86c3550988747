/**
 * Per-step loss and gradient norm collected on the GPU and read back in batches.
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import { Tensor } from "../tensor.ts";

/**
 * A GPU window of `capacity` steps: row 0 holds losses, row 1 gradient norms (f32 `[2, capacity]`).
 * {@linkcode StepLog.record} only records buffer copies; {@linkcode StepLog.take} decodes a readback
 * of {@linkcode StepLog.window} and empties the window.
 */
export class StepLog {
  /** Steps the window holds. */
  readonly capacity: number;
  /** The window tensor, to be read back (with other tensors) when full or when needed. */
  readonly window: Tensor;
  #pending = 0;

  /**
   * An empty window.
   *
   * @param gpu Device.
   * @param capacity Steps per window (positive integer).
   * @throws {RangeError} When `capacity` is not a positive integer.
   */
  constructor(gpu: Gpu, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot log steps: window must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.window = Tensor.zeros(gpu, [2, capacity]);
  }

  /** Steps recorded since the last {@linkcode StepLog.take}. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Records copying a step's loss (`loss[0]`) and gradient norm (`stats[0]`) into the window.
   *
   * @param loss 1-element f32 tensor.
   * @param stats f32 tensor whose element 0 is the gradient norm.
   * @throws {RangeError} When the window is full.
   */
  record(loss: Tensor, stats: Tensor): void {
    if (this.#pending === this.capacity) throw new RangeError("StepLog: window is full; take() it first");
    const gpu = this.window.gpu, k = this.#pending++;
    gpu.copyBuffer(loss.buffer, 0, this.window.buffer, 4 * k, 4);
    gpu.copyBuffer(stats.buffer, 0, this.window.buffer, 4 * (this.capacity + k), 4);
  }

  /**
   * Decodes the pending steps from a readback of {@linkcode StepLog.window} and empties the window.
   *
   * @param host The window's values, read back after the last `record`.
   * @returns Losses and gradient norms of the pending steps, in order.
   */
  take(host: Float32Array): { loss: Float32Array; gradNorm: Float32Array } {
    const n = this.#pending;
    this.#pending = 0;
    return { loss: host.slice(0, n), gradNorm: host.slice(this.capacity, this.capacity + n) };
  }

  /** Releases the window. */
  destroy(): void {
    this.window.destroy();
  }
}
