/**
 * Dense row-major tensors in GPU storage buffers.
 *
 * @module
 */
import type { Gpu } from "./gpu.ts";

/** Element types: `f32` for values, `i32` / `u32` for token ids and indices. All are 4 bytes. */
export type DType = "f32" | "i32" | "u32";

/** Host array type for each dtype. */
export type HostArray<D extends DType = DType> = D extends "f32" ? Float32Array
  : D extends "i32" ? Int32Array
  : Uint32Array;

const HOST: { [D in DType]: { new (buffer: ArrayBuffer): HostArray<D> } } = {
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
};

function hostArray<D extends DType>(dtype: D, bytes: ArrayBuffer): HostArray<D> {
  return new HOST[dtype](bytes) as HostArray<D>;
}

/** Usage of every tensor buffer. */
const TENSOR_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * Number of elements of a shape.
 *
 * @param shape Dimensions, each a non-negative integer.
 * @returns Their product (1 for a scalar shape `[]`).
 * @throws {RangeError} On a negative or fractional dimension.
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`Invalid tensor shape [${shape}]: ${d} is not a size`);
    }
    n *= d;
  }
  return n;
}

/**
 * A dense row-major tensor whose elements live in a GPU buffer.
 *
 * The buffer is rounded up to a multiple of 16 bytes (so kernels may view it as `array<vec4<…>>`)
 * and holds `size` elements from offset 0. Tensors made by `reshape` share their parent's buffer;
 * destroying either destroys the storage of both.
 */
export class Tensor<D extends DType = DType> {
  /** Device that owns the buffer. */
  readonly gpu: Gpu;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: D;
  /** Number of elements. */
  readonly size: number;
  /** Storage buffer (usage STORAGE | COPY_SRC | COPY_DST). */
  readonly buffer: GPUBuffer;

  private constructor(gpu: Gpu, shape: readonly number[], dtype: D, buffer: GPUBuffer) {
    this.gpu = gpu;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = shapeSize(shape);
    this.buffer = buffer;
  }

  /**
   * Allocates a zero-filled tensor.
   *
   * @param gpu Device context.
   * @param shape Dimensions.
   * @param dtype Element type (default `f32`).
   * @returns The new tensor.
   * @throws {RangeError} When the buffer would exceed the device's storage binding size.
   */
  static zeros<D extends DType = "f32">(
    gpu: Gpu,
    shape: readonly number[],
    dtype: D = "f32" as D,
  ): Tensor<D> {
    const bytes = shapeSize(shape) * 4;
    const limit = gpu.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new RangeError(
        `Cannot allocate tensor [${shape}]: ${bytes} bytes exceed the binding limit ${limit}`,
      );
    }
    const buffer = gpu.device.createBuffer({
      label: `tensor [${shape}] ${dtype}`,
      size: Math.max(16, Math.ceil(bytes / 16) * 16),
      usage: TENSOR_USAGE,
    });
    return new Tensor(gpu, shape, dtype, buffer);
  }

  /**
   * Creates a tensor holding a copy of host data. The dtype follows the array type
   * (`Float32Array` → f32, `Int32Array` → i32, `Uint32Array` → u32).
   *
   * @param gpu Device context.
   * @param data Elements in row-major order.
   * @param shape Dimensions (default `[data.length]`).
   * @returns The new tensor.
   * @throws {RangeError} When `data.length` differs from the shape's size.
   */
  static from<A extends HostArray>(
    gpu: Gpu,
    data: A,
    shape: readonly number[] = [data.length],
  ): Tensor<A extends Float32Array ? "f32" : A extends Int32Array ? "i32" : "u32"> {
    const dtype = data instanceof Float32Array ? "f32" : data instanceof Int32Array ? "i32" : "u32";
    const t = Tensor.zeros(gpu, shape, dtype);
    // A new buffer cannot be used by recorded work yet, so no flush is needed to keep order.
    t.#upload(data as HostArray);
    return t as Tensor<A extends Float32Array ? "f32" : A extends Int32Array ? "i32" : "u32">;
  }

  /** Size of the elements in bytes (without the rounding of the buffer). */
  get byteLength(): number {
    return this.size * 4;
  }

  /**
   * Overwrites all elements with host data, after the work recorded so far (it submits pending work
   * first so that earlier kernels see the old contents).
   *
   * @param data Exactly `size` elements of this tensor's host type.
   * @throws {RangeError} When the length differs from `size`.
   */
  write(data: HostArray<D>): void {
    this.gpu.flush();
    this.#upload(data);
  }

  #upload(data: HostArray): void {
    if (data.length !== this.size) {
      throw new RangeError(
        `Cannot write ${data.length} elements into tensor [${this.shape}] of ${this.size}`,
      );
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer>;
    this.gpu.device.queue.writeBuffer(this.buffer, 0, bytes);
  }

  /**
   * Reads the elements back (submits pending work and waits for it: use sparingly, and prefer
   * {@linkcode readTensors} for several tensors).
   *
   * @returns A host copy of the elements.
   */
  async read(): Promise<HostArray<D>> {
    const [bytes] = await this.gpu.readBuffers([{ buffer: this.buffer, offset: 0, size: this.byteLength }]);
    return hostArray(this.dtype, bytes);
  }

  /**
   * A tensor with another shape of the same size sharing this buffer.
   *
   * @param shape New dimensions.
   * @returns The view.
   * @throws {RangeError} When the sizes differ.
   */
  reshape(shape: readonly number[]): Tensor<D> {
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(`Cannot reshape tensor [${this.shape}] to [${shape}]: sizes differ`);
    }
    return new Tensor(this.gpu, shape, this.dtype, this.buffer);
  }

  /** Releases the buffer (after work already submitted that uses it). */
  destroy(): void {
    this.buffer.destroy();
  }
}

/**
 * Reads several tensors back in one submission and one round trip.
 *
 * @param tensors Tensors on the same device.
 * @returns Host copies, in order.
 * @throws {TypeError} When the tensors live on different devices.
 */
export async function readTensors<T extends readonly Tensor[]>(
  ...tensors: T
): Promise<{ [I in keyof T]: T[I] extends Tensor<infer D> ? HostArray<D> : never }> {
  if (tensors.length === 0) return [] as unknown as { [I in keyof T]: never };
  const gpu = tensors[0].gpu;
  if (tensors.some((t) => t.gpu !== gpu)) {
    throw new TypeError("Cannot read tensors of different devices together");
  }
  const raw = await gpu.readBuffers(
    tensors.map((t) => ({ buffer: t.buffer, offset: 0, size: t.byteLength })),
  );
  return raw.map((bytes, i) => hostArray(tensors[i].dtype, bytes)) as unknown as {
    [I in keyof T]: T[I] extends Tensor<infer D> ? HostArray<D> : never;
  };
}
