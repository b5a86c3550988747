/**
 * Device limits the engine asks for. Each is raised to what the adapter offers; the minimum is what
 * the engine's kernels need and equals the WebGPU default unless noted, so any conforming adapter
 * qualifies unless a caller raises a minimum.
 *
 * @module
 */

/** Names of the numeric limits the engine requests at the adapter's maximum. */
export type EngineLimitName =
  | "maxStorageBufferBindingSize"
  | "maxBufferSize"
  | "maxComputeWorkgroupStorageSize"
  | "maxComputeInvocationsPerWorkgroup"
  | "maxComputeWorkgroupSizeX"
  | "maxComputeWorkgroupSizeY"
  | "maxComputeWorkgroupSizeZ"
  | "maxComputeWorkgroupsPerDimension"
  | "maxStorageBuffersPerShaderStage"
  | "maxStorageTexturesPerShaderStage"
  | "maxUniformBufferBindingSize"
  | "maxTextureDimension2D"
  | "maxTextureArrayLayers"
  | "maxBindGroups";

/** Minimum value of every requested limit (bytes for sizes, counts otherwise). */
export const ENGINE_MIN_LIMITS: Readonly<Record<EngineLimitName, number>> = {
  maxStorageBufferBindingSize: 134_217_728,
  maxBufferSize: 268_435_456,
  // The tiled GEMM's default 64×64×16 tiles use 8 KiB; 16 KiB is the WebGPU default.
  maxComputeWorkgroupStorageSize: 16_384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65_535,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageTexturesPerShaderStage: 4,
  maxUniformBufferBindingSize: 65_536,
  maxTextureDimension2D: 8_192,
  maxTextureArrayLayers: 256,
  maxBindGroups: 4,
};

/** Optional features the engine enables when the adapter has them. */
export const ENGINE_OPTIONAL_FEATURES: readonly GPUFeatureName[] = ["shader-f16", "timestamp-query"];
