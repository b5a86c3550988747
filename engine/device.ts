/**
 * Device acquisition: adapter, limits, features, and the engine's `Gpu` context.
 *
 * @module
 */
import { type AdapterInfo, describeAdapter, isSoftwareAdapter } from "./adapter_info.ts";
import { ENGINE_MIN_LIMITS, ENGINE_OPTIONAL_FEATURES, type EngineLimitName } from "./engine_limits.ts";
import { GpuUnavailableError } from "./errors.ts";
import { type GemmFamily, Gpu } from "./gpu.ts";
import { attentionRowsFor } from "./kernels/attention.ts";
import { type TiledConfig, tiledConfigFor } from "./kernels/tiled_config.ts";

/** The kernel variants the engine uses on an adapter, as reports record them. */
export interface KernelChoices {
  /** GEMM family: "software" (texture kernels for CPU rasterisers) or "tiled" (workgroup memory). */
  gemmFamily: GemmFamily;
  /** Tile configuration of the tiled family on this adapter (used only when the family is tiled). */
  tiledConfig: TiledConfig;
  /** Query rows per workgroup of the attention kernels. */
  attentionRows: number;
}

/**
 * The kernel variants chosen for an adapter, without creating a device.
 *
 * @param info The adapter's identity.
 * @param texturesReadable Whether WGSL read-only/read-write storage textures are available (needed by
 * the software GEMM family).
 * @returns The choices {@linkcode acquireDevice} makes for that adapter.
 */
export function kernelChoices(info: AdapterInfo, texturesReadable: boolean): KernelChoices {
  const software = isSoftwareAdapter(info);
  return {
    gemmFamily: software && texturesReadable ? "software" : "tiled",
    tiledConfig: tiledConfigFor(info),
    attentionRows: attentionRowsFor(software),
  };
}

/** Whether the WebGPU entry point offers storage textures readable in WGSL. */
export function texturesReadable(entry: GPU): boolean {
  const features = (entry as { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures;
  return features?.has("readonly_and_readwrite_storage_textures") ?? false;
}

/** Options for {@linkcode acquireDevice}. */
export interface AcquireOptions {
  /** Adapter preference passed to `requestAdapter` (default: none). */
  powerPreference?: GPUPowerPreference;
  /** Ask for a fallback (software) adapter. */
  forceFallbackAdapter?: boolean;
  /** Raise the engine's minimum for some limits (e.g. a model that binds larger buffers). */
  minLimits?: Partial<Record<EngineLimitName, number>>;
  /** Features that must be present; acquisition fails naming the first one missing. */
  requiredFeatures?: readonly GPUFeatureName[];
  /** GEMM family to use instead of the one chosen from the adapter. */
  gemmFamily?: GemmFamily;
  /**
   * WebGPU entry point, by default `navigator.gpu`. Pass `null` to model a runtime without WebGPU, or
   * a stand-in object in tests.
   */
  gpu?: GPU | null;
}

const NO_ADAPTER_HINT = "On Linux without a GPU install Mesa's Vulkan software driver " +
  "(apt-get install mesa-vulkan-drivers) and check that DENO_WEBGPU_BACKEND is unset, 'vulkan' or 'gl'.";

/**
 * Requests an adapter and a device with every engine limit raised to what the adapter offers and the
 * optional features (`shader-f16`, `timestamp-query`) enabled when present.
 *
 * Device errors and device loss are collected and thrown as `GpuDeviceError` at the next
 * synchronisation point (`flush`, `sync`, readback).
 *
 * @param options Adapter preference, raised minimums, required features.
 * @returns The engine context for the device.
 * @throws {GpuUnavailableError} When WebGPU is missing, no adapter is found, the adapter lacks a
 * required feature, or one of its limits is below the engine's minimum.
 *
 * @example
 * ```ts ignore
 * import { acquireDevice } from "./device.ts";
 * const gpu = await acquireDevice({ powerPreference: "high-performance" });
 * console.log(gpu.adapterInfo.description, gpu.gemmFamily);
 * await gpu.destroy();
 * ```
 */
export async function acquireDevice(options: AcquireOptions = {}): Promise<Gpu> {
  const entry = options.gpu === undefined ? globalThis.navigator?.gpu : options.gpu;
  if (!entry) {
    throw new GpuUnavailableError(
      "WebGPU is not available: navigator.gpu is undefined (use Deno ≥ 1.39 or a browser with WebGPU)",
    );
  }
  const adapter = await entry.requestAdapter({
    powerPreference: options.powerPreference,
    forceFallbackAdapter: options.forceFallbackAdapter,
  });
  if (adapter === null) throw new GpuUnavailableError(`No WebGPU adapter found. ${NO_ADAPTER_HINT}`);
  const adapterInfo = describeAdapter(adapter.info);
  const name = adapterInfo.description || adapterInfo.device || "the adapter";

  for (const feature of options.requiredFeatures ?? []) {
    if (!adapter.features.has(feature)) {
      throw new GpuUnavailableError(`Adapter ${name} lacks the required feature "${feature}"`);
    }
  }
  const requiredLimits: Record<string, number> = {};
  for (const [limit, engineMin] of Object.entries(ENGINE_MIN_LIMITS) as [EngineLimitName, number][]) {
    const needed = Math.max(engineMin, options.minLimits?.[limit] ?? 0);
    const offered = adapter.limits[limit];
    if (offered < needed) {
      throw new GpuUnavailableError(
        `Adapter ${name}: limit ${limit} is ${offered}, the engine needs at least ${needed}`,
      );
    }
    requiredLimits[limit] = offered;
  }
  const requiredFeatures = [
    ...new Set([...(options.requiredFeatures ?? []), ...ENGINE_OPTIONAL_FEATURES]),
  ].filter((f) => adapter.features.has(f));

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: "engine" });
  } catch (error) {
    throw new GpuUnavailableError(`Adapter ${name} refused to create a device: ${(error as Error).message}`);
  }
  const software = isSoftwareAdapter(adapterInfo);
  // The tile configuration is the Gpu's own default for the adapter (tiledConfigFor).
  const gemmFamily = options.gemmFamily ?? kernelChoices(adapterInfo, texturesReadable(entry)).gemmFamily;
  return new Gpu({ device, adapterInfo, software, gemmFamily });
}
