/**
 * The engine's handle on one WebGPU device: command batching, pipeline cache, scratch resources,
 * error collection and readback. Obtain one with `acquireDevice()`.
 *
 * @module
 */
import type { AdapterInfo } from "./adapter_info.ts";
import { GpuDeviceError } from "./errors.ts";
import type { Kernel, KernelConstants } from "./kernel.ts";
import { type TiledConfig, tiledConfigFor } from "./kernels/tiled_config.ts";
import type { Params } from "./params.ts";
import { PipelineCache } from "./pipeline_cache.ts";
import { Recorder, type RecorderStats, type Resource } from "./recorder.ts";

/** Which GEMM kernel family `matmul()` uses on this device. */
export type GemmFamily = "software" | "tiled";

/** One dispatch request: what `Gpu.dispatch()` takes. */
export interface DispatchRequest {
  /** Compile-time constants for the kernel (see `specialize`). */
  constants?: KernelConstants;
  /** Uniform struct for binding 0, when the kernel declares one. */
  params?: Params;
  /** Buffers / texture views for the other bindings, in binding order. */
  resources: readonly Resource[];
  /** Workgroup counts; missing dimensions are 1. */
  workgroups: readonly [number, number?, number?];
}

/** Everything `Gpu`'s constructor needs (assembled by `acquireDevice()`). */
export interface GpuInit {
  /** The device. */
  device: GPUDevice;
  /** Identity of the adapter the device came from. */
  adapterInfo: AdapterInfo;
  /** Whether the adapter is a CPU rasteriser. */
  software: boolean;
  /** GEMM family to use. */
  gemmFamily: GemmFamily;
  /** Tile configuration of the tiled family (default: the one chosen for the adapter's vendor). */
  tiledConfig?: TiledConfig;
}

/** Counters for tests and profiling. */
export interface GpuStats extends RecorderStats {
  /** Readback round trips (each maps one or more buffers at once). */
  readbacks: number;
}

/** A scratch texture and its `2d-array` view. */
export interface ScratchTexture {
  /** The texture (rgba32float, usage STORAGE_BINDING | COPY_DST). */
  readonly texture: GPUTexture;
  /** View with dimension `2d-array`, for `texture_storage_2d_array` bindings. */
  readonly view: GPUTextureView;
  /** Width, height and layer count. */
  readonly size: readonly [number, number, number];
}

/**
 * A WebGPU device plus the engine's per-device state.
 *
 * Ordering: everything recorded through one `Gpu` executes in program order (one queue). Scratch
 * resources are shared by all kernels of a device: a kernel may use a scratch slot between its own
 * dispatches only, never across calls.
 */
export class Gpu {
  /** The underlying device (for kernels that need raw access). */
  readonly device: GPUDevice;
  /** Adapter identity, for reports. */
  readonly adapterInfo: AdapterInfo;
  /** True on CPU rasterisers (llvmpipe / lavapipe / SwiftShader). */
  readonly software: boolean;
  /** GEMM family `matmul()` picks by default. */
  readonly gemmFamily: GemmFamily;
  /** Tile configuration `matmul()` gives the tiled family by default. */
  readonly tiledConfig: TiledConfig;
  /** Device features enabled at creation (e.g. `shader-f16`, `timestamp-query`). */
  readonly features: ReadonlySet<string>;
  /** Compiled pipelines, one per kernel and constant set. */
  readonly pipelines: PipelineCache;
  readonly #recorder: Recorder;
  readonly #errors: string[] = [];
  readonly #scopes: Promise<void>[] = [];
  readonly #scratchBuffers = new Map<string, GPUBuffer>();
  readonly #scratchTextures = new Map<string, ScratchTexture>();
  #readbacks = 0;
  #lost: string | null = null;
  #destroyed = false;

  /** Wraps a device; prefer `acquireDevice()`, which also negotiates limits and features. */
  constructor(init: GpuInit) {
    this.device = init.device;
    this.adapterInfo = init.adapterInfo;
    this.software = init.software;
    this.gemmFamily = init.gemmFamily;
    this.tiledConfig = init.tiledConfig ?? tiledConfigFor(init.adapterInfo);
    this.features = new Set(Array.from(init.device.features as unknown as Iterable<string>));
    this.#recorder = new Recorder(init.device);
    this.pipelines = new PipelineCache(init.device, (context, scope) => this.#track(context, scope));
    init.device.addEventListener("uncapturederror", (event) => {
      this.#errors.push((event as GPUUncapturedErrorEvent).error.message);
    });
    init.device.lost.then((info) => {
      if (!this.#destroyed) this.#lost = `device lost (${info.reason}): ${info.message}`;
    });
  }

  /** Device limits in force. */
  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Submission, dispatch and readback counts since creation. */
  get stats(): GpuStats {
    return { ...this.#recorder.stats, readbacks: this.#readbacks };
  }

  /**
   * Records a dispatch of `kernel` (compiling it on first use with these constants).
   *
   * @param kernel The kernel.
   * @param request Constants, parameters, resources and workgroup counts.
   * @throws {RangeError} When a workgroup count exceeds `maxComputeWorkgroupsPerDimension`.
   */
  dispatch(kernel: Kernel, request: DispatchRequest): void {
    this.#assertUsable();
    const [x, y = 1, z = 1] = request.workgroups;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new RangeError(`Kernel ${kernel.name}: ${x}×${y}×${z} workgroups exceed ${max} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const compiled = this.pipelines.get(kernel, request.constants);
    this.#recorder.dispatch(compiled, request.params ?? null, request.resources, [x, y, z]);
  }

  /** Records a buffer copy; offsets and size in bytes, multiples of 4. */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.#assertUsable();
    if (size > 0) this.#recorder.copyBuffer(src, srcOffset, dst, dstOffset, size);
  }

  /** Records a buffer-to-texture copy. */
  copyBufferToTexture(
    src: GPUTexelCopyBufferInfo,
    dst: GPUTexelCopyTextureInfo,
    size: readonly [number, number, number],
  ): void {
    this.#assertUsable();
    this.#recorder.copyBufferToTexture(src, dst, size);
  }

  /** Records zero-filling a buffer range (bytes, multiples of 4). */
  clearBuffer(buffer: GPUBuffer, offset?: number, size?: number): void {
    this.#assertUsable();
    this.#recorder.clearBuffer(buffer, offset, size);
  }

  /**
   * A storage buffer reserved for one kernel's intermediate results, reused across calls.
   *
   * @param slot Name of the slot (one per distinct concurrent use inside a kernel).
   * @param bytes Minimum size in bytes.
   * @returns A buffer with STORAGE | COPY_SRC | COPY_DST usage and at least `bytes` bytes.
   */
  scratchBuffer(slot: string, bytes: number): GPUBuffer {
    const current = this.#scratchBuffers.get(slot);
    if (current !== undefined && current.size >= bytes) return current;
    if (current !== undefined) this.#retire(current);
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    const buffer = this.device.createBuffer({
      label: `scratch ${slot}`,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.#scratchBuffers.set(slot, buffer);
    return buffer;
  }

  /**
   * An `rgba32float` 2-D array texture reserved for one kernel's packed operands, reused across calls.
   *
   * @param slot Name of the slot.
   * @param width Minimum width in texels.
   * @param height Minimum height in texels.
   * @param layers Minimum number of array layers.
   * @returns A texture at least that large, usable as storage (read and write) and copy target.
   */
  scratchTexture(slot: string, width: number, height: number, layers: number): ScratchTexture {
    const current = this.#scratchTextures.get(slot);
    if (current && current.size[0] >= width && current.size[1] >= height && current.size[2] >= layers) {
      return current;
    }
    const size: [number, number, number] = [
      Math.max(width, current?.size[0] ?? 0),
      Math.max(height, current?.size[1] ?? 0),
      Math.max(layers, current?.size[2] ?? 0),
    ];
    if (current !== undefined) this.#retire(current.texture);
    const texture = this.device.createTexture({
      label: `scratch ${slot}`,
      size,
      format: "rgba32float",
      usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
    });
    const scratch = { texture, view: texture.createView({ dimension: "2d-array" }), size };
    this.#scratchTextures.set(slot, scratch);
    return scratch;
  }

  /**
   * Submits recorded work without waiting for it.
   *
   * @throws {GpuDeviceError} When the device has reported errors or was lost since the last check.
   */
  flush(): void {
    this.#assertUsable();
    if (this.#recorder.pending > 0) {
      this.device.pushErrorScope("validation");
      this.#recorder.submit();
      this.#track("submitting commands", this.device.popErrorScope());
    }
    this.#throwCollected();
  }

  /**
   * Submits recorded work and waits until the device has finished it and every pending error scope
   * has resolved.
   *
   * @throws {GpuDeviceError} When the device reported an error or was lost.
   */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /**
   * Waits for pending error scopes (pipeline compilation, submissions) and throws what they reported.
   *
   * @throws {GpuDeviceError} When the device reported an error or was lost.
   */
  async checkErrors(): Promise<void> {
    await Promise.all(this.#scopes.splice(0));
    this.#throwCollected();
  }

  /**
   * Copies buffer ranges back to the host in one submission and one round trip.
   *
   * @param ranges Buffers with byte offset and size (multiples of 4).
   * @returns One `ArrayBuffer` per range, in order.
   * @throws {GpuDeviceError} When the device reported an error or was lost.
   */
  async readBuffers(
    ranges: readonly { buffer: GPUBuffer; offset: number; size: number }[],
  ): Promise<ArrayBuffer[]> {
    this.#assertUsable();
    const staging = ranges.map(({ buffer, offset, size }) => {
      const target = this.device.createBuffer({
        label: "readback",
        size: Math.max(4, size),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      this.copyBuffer(buffer, offset, target, 0, size);
      return target;
    });
    this.flush();
    this.#readbacks++;
    try {
      await Promise.all(staging.map((b) => b.mapAsync(GPUMapMode.READ)));
    } catch (error) {
      await this.checkErrors();
      throw error;
    }
    const results = staging.map((b, i) => b.getMappedRange(0, ranges[i].size).slice(0));
    for (const b of staging) b.destroy();
    await this.checkErrors();
    return results;
  }

  /** Waits for submitted work, then releases the device and every engine-owned resource. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.#destroyed = true;
    this.#recorder.destroy();
    for (const b of this.#scratchBuffers.values()) b.destroy();
    for (const t of this.#scratchTextures.values()) t.texture.destroy();
    this.device.destroy();
  }

  #track(context: string, scope: Promise<GPUError | null>): void {
    this.#scopes.push(scope.then((error) => {
      if (error) this.#errors.push(`${context}: ${error.message}`);
    }));
  }

  /** Destroys a resource once the work that may use it has been submitted. */
  #retire(resource: GPUBuffer | GPUTexture): void {
    this.flush();
    resource.destroy();
  }

  #assertUsable(): void {
    if (this.#destroyed) throw new GpuDeviceError(["the Gpu was destroyed"]);
  }

  #throwCollected(): void {
    if (this.#lost !== null) throw new GpuDeviceError([...this.#errors.splice(0), this.#lost]);
    if (this.#errors.length > 0) throw new GpuDeviceError(this.#errors.splice(0));
  }
}
