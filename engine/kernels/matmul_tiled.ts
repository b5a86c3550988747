/**
 * Tiled GEMM family for real GPUs: workgroup-memory tiles with a tunable {@linkcode TiledConfig}.
 *
 * @module
 */
import type { GemmSpec } from "../gemm_spec.ts";
import type { Gpu } from "../gpu.ts";
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import source from "./matmul_tiled.wgsl" with { type: "text" };
import { DEFAULT_TILED_CONFIG, type TiledConfig } from "./tiled_config.ts";

export { DEFAULT_TILED_CONFIG, type TiledConfig, tiledConfigFor } from "./tiled_config.ts";

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
