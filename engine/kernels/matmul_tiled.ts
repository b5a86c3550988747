/**
 * Tiled GEMM family for real GPUs: workgroup-memory tiles with a tunable {@linkcode TiledConfig}.
 *
 * @module
 */
import type { AdapterInfo } from "../adapter_info.ts";
import type { GemmSpec } from "../gemm_spec.ts";
import type { Gpu } from "../gpu.ts";
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import source from "./matmul_tiled.wgsl" with { type: "text" };

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

/** The tiled GEMM kernel (specialised by `TILE_*` / `THREAD_*` constants). */
export const matmulTiledKernel: Kernel = {
  name: "matmul_tiled",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/**
 * Checks a configuration against the kernel's invariants and the device limits.
 *
 * @param gpu Device context.
 * @param config Tile configuration.
 * @throws {RangeError} Naming the violated constraint.
 */
export function validateTiledConfig(gpu: Gpu, config: TiledConfig): void {
  const { tileM, tileN, tileK, threadM, threadN } = config;
  for (const [name, v] of Object.entries(config)) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`Tiled GEMM config: ${name} must be a positive integer`);
    }
  }
  if (threadN % 4 !== 0) {
    throw new RangeError(`Tiled GEMM config: threadN ${threadN} must be a multiple of 4`);
  }
  if (tileN % threadN !== 0 || tileM % threadM !== 0) {
    throw new RangeError(
      `Tiled GEMM config: thread tile ${threadM}×${threadN} must divide ${tileM}×${tileN}`,
    );
  }
  const limits = gpu.limits;
  const invocations = (tileN / threadN) * (tileM / threadM);
  if (invocations > limits.maxComputeInvocationsPerWorkgroup) {
    throw new RangeError(
      `Tiled GEMM config: ${invocations} invocations exceed ${limits.maxComputeInvocationsPerWorkgroup}`,
    );
  }
  const bytes = tileK * (tileM + tileN) * 4;
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    throw new RangeError(
      `Tiled GEMM config: ${bytes} bytes of workgroup memory exceed ${limits.maxComputeWorkgroupStorageSize}`,
    );
  }
}

/**
 * Records `C = α·op(A)·op(B) + β·C` with the tiled family.
 *
 * @param gpu Device context.
 * @param a Buffer of A.
 * @param b Buffer of B.
 * @param c Buffer of C (distinct from A and B).
 * @param s Resolved problem.
 * @param config Tile configuration (validated).
 */
export function matmulTiled(
  gpu: Gpu,
  a: GPUBuffer,
  b: GPUBuffer,
  c: GPUBuffer,
  s: GemmSpec,
  config: TiledConfig = DEFAULT_TILED_CONFIG,
): void {
  validateTiledConfig(gpu, config);
  const constants = {
    TILE_M: config.tileM,
    TILE_N: config.tileN,
    TILE_K: config.tileK,
    THREAD_M: config.threadM,
    THREAD_N: config.threadN,
  };
  const maxZ = gpu.limits.maxComputeWorkgroupsPerDimension;
  for (let z0 = 0; z0 < s.batch; z0 += maxZ) {
    const params = new Params()
      .u32(s.m, s.n, s.k, s.lda, s.ldb, s.ldc)
      .u32(s.offsetA + z0 * s.strideA, s.offsetB + z0 * s.strideB, s.offsetC + z0 * s.strideC)
      .u32(s.strideA, s.strideB, s.strideC, s.transA ? 1 : 0, s.transB ? 1 : 0)
      .f32(s.alpha, s.beta);
    gpu.dispatch(matmulTiledKernel, {
      constants,
      params,
      resources: [a, b, c],
      workgroups: [
        Math.ceil(s.n / config.tileN),
        Math.ceil(s.m / config.tileM),
        Math.min(maxZ, s.batch - z0),
      ],
    });
  }
}
