/**
 * The tiled GEMM's tile configurations and the per-adapter choice: data only, no device, so that the
 * device (`engine/gpu.ts`) can pick a configuration without importing the kernel that imports it.
 *
 * @module
 */
import type { AdapterInfo } from "../adapter_info.ts";

/** Tile configuration of the tiled GEMM; recorded in benchmark results. */
export interface TiledConfig {
  /** Output rows per workgroup. */
  readonly tileM: number;
  /** Output columns per workgroup. */
  readonly tileN: number;
  /** K extent of the workgroup-memory tiles. */
  readonly tileK: number;
  /** Output rows per invocation (divides tileM). */
  readonly threadM: number;
  /** Output columns per invocation (multiple of 4, divides tileN). */
  readonly threadN: number;
}

/** 64×64 tiles, K step 16, 4×4 outputs per invocation: 256 invocations, 8 KiB of workgroup memory. */
export const DEFAULT_TILED_CONFIG: TiledConfig = { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4 };

/**
 * Per-vendor tile configurations, each the one that measured best overall on that vendor's card by
 * `bench/gemm_tune.ts` (all configurations give bit-identical results: each output sums over k in the
 * same order). NVIDIA: H100 80GB HBM3 through Vulkan, 2026-11-28, K step 32 at 1924 GFLOP/s (NN 4096)
 * and 550 (NN 1024) against the default's 1814 and 522; the fastest of the 10 candidates at 4 of the
 * 6 sizes and layouts measured (NN/NT at 1024, 2048, 4096) and within 2.5% of the fastest at the others.
 */
const TILED_CONFIG_BY_VENDOR: readonly { vendor: RegExp; config: TiledConfig }[] = [
  { vendor: /^(nvidia|4318|0x10de)$/i, config: { tileM: 64, tileN: 64, tileK: 32, threadM: 4, threadN: 4 } },
];

/**
 * The tile configuration for an adapter: the measured one for its vendor, else the default.
 *
 * @param adapter The adapter's recorded identity (`vendor` is a name or a PCI id, by runtime).
 * @returns The configuration `matmul()` uses on that adapter unless a call overrides it.
 */
export function tiledConfigFor(adapter: AdapterInfo): TiledConfig {
  return TILED_CONFIG_BY_VENDOR.find((e) => e.vendor.test(adapter.vendor.trim()))?.config ??
    DEFAULT_TILED_CONFIG;
}
