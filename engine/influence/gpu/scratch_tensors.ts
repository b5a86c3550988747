/**
 * Named f32 work tensors owned by one GPU influence object, reallocated only when a size changes.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { shapeSize, Tensor } from "../../tensor.ts";

/** A set of named work tensors on one device (the object that owns it destroys it). */
export class ScratchTensors {
  readonly #gpu: Gpu;
  readonly #tensors = new Map<string, Tensor<"f32">>();

  /** @param gpu The device. */
  constructor(gpu: Gpu) {
    this.#gpu = gpu;
  }

  /**
   * The tensor of a slot with exactly this shape: the previous one (reshaped) when its size matches,
   * else a new zero-filled one (the old one is released after the work recorded so far).
   *
   * @param slot Name of the use.
   * @param shape Dimensions.
   * @returns An f32 tensor whose contents are whatever the slot's last user left.
   */
  get(slot: string, shape: readonly number[]): Tensor<"f32"> {
    const current = this.#tensors.get(slot);
    if (current !== undefined && current.size === shapeSize(shape)) return current.reshape(shape);
    if (current !== undefined) {
      this.#gpu.flush();
      current.destroy();
    }
    const tensor = Tensor.zeros(this.#gpu, shape);
    this.#tensors.set(slot, tensor);
    return tensor;
  }

  /**
   * A 1-D tensor of a slot holding at least `size` elements (grown, never shrunk): for kernels that take
   * explicit sizes, such as `matmul` with m, n and k.
   *
   * @param slot Name of the use.
   * @param size Minimum number of elements.
   * @returns An f32 tensor [capacity], capacity ≥ size.
   */
  atLeast(slot: string, size: number): Tensor<"f32"> {
    const current = this.#tensors.get(slot);
    if (current !== undefined && current.size >= size) return current;
    return this.get(slot, [Math.max(size, Math.ceil((current?.size ?? 0) * 1.5))]);
  }

  /** Releases every tensor (after the work recorded so far). */
  destroy(): void {
    if (this.#tensors.size === 0) return;
    this.#gpu.flush();
    for (const t of this.#tensors.values()) t.destroy();
    this.#tensors.clear();
  }
}
