/**
 * Batches dispatches and copies into one command encoder per submit, with a ring of uniform slots.
 *
 * Each `mapAsync` / `onSubmittedWorkDone` round trip costs ~10 ms in Deno, so kernels only record;
 * work is submitted when someone needs results (readback, `Gpu.sync()`), when host data must be
 * written in program order (`Tensor.write()`), or every `maxBatch` dispatches.
 *
 * @module
 */
import type { CompiledKernel } from "./pipeline_cache.ts";
import type { Params } from "./params.ts";

/** Bytes per uniform slot: the largest `minUniformBufferOffsetAlignment` WebGPU allows. */
const SLOT_BYTES = 256;
/** Bytes per uniform chunk buffer (256 slots). */
const CHUNK_BYTES = 65_536;

/** A resource bound to a non-uniform binding. */
export type Resource = GPUBuffer | GPUTextureView;

/** Counters for checking that work is batched as intended. */
export interface RecorderStats {
  /** Queue submissions so far. */
  submits: number;
  /** Dispatches recorded so far. */
  dispatches: number;
}

interface UniformChunk {
  buffer: GPUBuffer;
  staging: Uint8Array<ArrayBuffer>;
}

/** Records compute dispatches and copies; see the module doc for when it submits. */
export class Recorder {
  readonly #device: GPUDevice;
  readonly #maxBatch: number;
  readonly #chunks: UniformChunk[] = [];
  #usedSlots = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #batched = 0;
  /** Submission and dispatch counts. */
  readonly stats: RecorderStats = { submits: 0, dispatches: 0 };

  /**
   * A recorder with nothing recorded.
   *
   * @param device Device whose queue receives the work.
   * @param maxBatch Dispatches after which the batch is submitted without waiting for a sync point.
   */
  constructor(device: GPUDevice, maxBatch = 4096) {
    this.#device = device;
    this.#maxBatch = maxBatch;
  }

  /** Number of dispatches and copies recorded but not yet submitted. */
  get pending(): number {
    return this.#batched;
  }

  /**
   * Records one dispatch.
   *
   * @param compiled The compiled kernel.
   * @param params Uniform struct for binding 0, when the kernel's first binding is `"uniform"`.
   * @param resources Buffers / texture views for the remaining bindings, in order.
   * @param workgroups Workgroup counts (x, y, z).
   */
  dispatch(
    compiled: CompiledKernel,
    params: Params | null,
    resources: readonly Resource[],
    workgroups: readonly [number, number, number],
  ): void {
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    if (compiled.kernel.bindings[0] === "uniform") {
      if (params === null) throw new TypeError(`Kernel ${compiled.kernel.name} needs parameters`);
      entries.push({ binding: binding++, resource: this.#uniformSlot(params) });
    }
    if (binding + resources.length !== compiled.kernel.bindings.length) {
      throw new TypeError(
        `Kernel ${compiled.kernel.name} has ${compiled.kernel.bindings.length} bindings, got ${
          binding + resources.length
        }`,
      );
    }
    for (const resource of resources) {
      entries.push({
        binding: binding++,
        resource: resource instanceof GPUBuffer ? { buffer: resource } : resource,
      });
    }
    const bindGroup = this.#device.createBindGroup({ layout: compiled.layout, entries });
    const pass = this.#computePass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.stats.dispatches++;
    this.#recorded();
  }

  /** Records a buffer-to-buffer copy (sizes and offsets multiples of 4). */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.#copyEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
    this.#recorded();
  }

  /** Records a buffer-to-texture copy. */
  copyBufferToTexture(
    src: GPUTexelCopyBufferInfo,
    dst: GPUTexelCopyTextureInfo,
    size: readonly [number, number, number],
  ): void {
    this.#copyEncoder().copyBufferToTexture(src, dst, [size[0], size[1], size[2]]);
    this.#recorded();
  }

  /** Records zero-filling a buffer range (offset and size multiples of 4). */
  clearBuffer(buffer: GPUBuffer, offset?: number, size?: number): void {
    this.#copyEncoder().clearBuffer(buffer, offset, size);
    this.#recorded();
  }

  /**
   * Submits everything recorded (no-op when nothing is pending). Uniform slots are uploaded first; the
   * queue orders these writes after earlier submissions, so slots are reused from the next batch on.
   */
  submit(): void {
    if (this.#encoder === null) return;
    this.#pass?.end();
    this.#pass = null;
    const commands = this.#encoder.finish();
    this.#encoder = null;
    const usedBytes = this.#usedSlots * SLOT_BYTES;
    for (let i = 0; i * CHUNK_BYTES < usedBytes; i++) {
      const chunk = this.#chunks[i];
      const bytes = Math.min(CHUNK_BYTES, usedBytes - i * CHUNK_BYTES);
      this.#device.queue.writeBuffer(chunk.buffer, 0, chunk.staging, 0, bytes);
    }
    this.#usedSlots = 0;
    this.#batched = 0;
    this.#device.queue.submit([commands]);
    this.stats.submits++;
  }

  /** Releases the uniform buffers; the recorder must not be used afterwards. */
  destroy(): void {
    for (const chunk of this.#chunks) chunk.buffer.destroy();
    this.#chunks.length = 0;
  }

  #uniformSlot(params: Params): GPUBufferBinding {
    const slotsPerChunk = CHUNK_BYTES / SLOT_BYTES;
    const chunkIndex = Math.floor(this.#usedSlots / slotsPerChunk);
    if (chunkIndex === this.#chunks.length) {
      const buffer = this.#device.createBuffer({
        label: `uniform ring ${chunkIndex}`,
        size: CHUNK_BYTES,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.#chunks.push({ buffer, staging: new Uint8Array(CHUNK_BYTES) });
    }
    const chunk = this.#chunks[chunkIndex];
    const offset = (this.#usedSlots % slotsPerChunk) * SLOT_BYTES;
    this.#usedSlots++;
    chunk.staging.set(params.bytes(), offset);
    // WGSL structs are sized in multiples of 16 bytes; bind the rounded size.
    return { buffer: chunk.buffer, offset, size: Math.max(16, Math.ceil(params.byteLength / 16) * 16) };
  }

  #computePass(): GPUComputePassEncoder {
    if (this.#pass === null) this.#pass = this.#commandEncoder().beginComputePass();
    return this.#pass;
  }

  #copyEncoder(): GPUCommandEncoder {
    this.#pass?.end();
    this.#pass = null;
    return this.#commandEncoder();
  }

  #commandEncoder(): GPUCommandEncoder {
    this.#encoder ??= this.#device.createCommandEncoder();
    return this.#encoder;
  }

  #recorded(): void {
    this.#batched++;
    if (this.#batched >= this.#maxBatch) this.submit();
  }
}
