/**
 * Compiles each (kernel, constants) pair once per device.
 *
 * @module
 */
import { type BindingKind, type Kernel, type KernelConstants, specialize } from "./kernel.ts";

/** A compiled kernel: pipeline plus the explicit bind group layout it was built with. */
export interface CompiledKernel {
  /** The kernel it came from. */
  readonly kernel: Kernel;
  /** The compute pipeline (entry point `main`). */
  readonly pipeline: GPUComputePipeline;
  /** Layout of `@group(0)`, matching `kernel.bindings`. */
  readonly layout: GPUBindGroupLayout;
}

/**
 * Receives an error scope's outcome, which WebGPU reports asynchronously; `context` says what the
 * scope covered (for the message).
 */
export type ErrorTracker = (context: string, scope: Promise<GPUError | null>) => void;

function layoutEntry(kind: BindingKind, binding: number): GPUBindGroupLayoutEntry {
  const visibility = GPUShaderStage.COMPUTE;
  switch (kind) {
    case "uniform":
      return { binding, visibility, buffer: { type: "uniform" } };
    case "read":
      return { binding, visibility, buffer: { type: "read-only-storage" } };
    case "read_write":
      return { binding, visibility, buffer: { type: "storage" } };
    case "texture_read":
      return {
        binding,
        visibility,
        storageTexture: { access: "read-only", format: "rgba32float", viewDimension: "2d-array" },
      };
    case "texture_write":
      return {
        binding,
        visibility,
        storageTexture: { access: "write-only", format: "rgba32float", viewDimension: "2d-array" },
      };
  }
}

/**
 * Cache of compiled pipelines keyed by specialised source text and binding layout. Compilation is
 * synchronous; its validation errors (WGSL syntax, layout mismatch) are collected through an error
 * scope and handed to the owner, which throws them, naming the kernel, at the next synchronisation
 * point.
 */
export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #track: ErrorTracker;
  readonly #compiled = new Map<string, CompiledKernel>();

  /**
   * An empty cache.
   *
   * @param device The device to compile on.
   * @param track Receives each compilation's validation error scope.
   */
  constructor(device: GPUDevice, track: ErrorTracker) {
    this.#device = device;
    this.#track = track;
  }

  /** Number of distinct programs compiled so far. */
  get size(): number {
    return this.#compiled.size;
  }

  /**
   * Returns the pipeline for `kernel` specialised with `constants`, compiling it on first use.
   *
   * @param kernel The kernel.
   * @param constants Compile-time constants (see {@linkcode specialize}).
   * @returns The cached or freshly compiled kernel.
   */
  get(kernel: Kernel, constants: KernelConstants = {}): CompiledKernel {
    const code = specialize(kernel, constants);
    const key = `${kernel.bindings.join(",")}\n${code}`;
    const hit = this.#compiled.get(key);
    if (hit !== undefined) return hit;
    const device = this.#device;
    const label = `${kernel.name}${Object.keys(constants).length ? ` ${JSON.stringify(constants)}` : ""}`;
    device.pushErrorScope("validation");
    const layout = device.createBindGroupLayout({ label, entries: kernel.bindings.map(layoutEntry) });
    const pipeline = device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module: device.createShaderModule({ label, code }), entryPoint: "main" },
    });
    this.#track(`compiling kernel ${label}`, device.popErrorScope());
    const compiled = { kernel, pipeline, layout };
    this.#compiled.set(key, compiled);
    return compiled;
  }
}
