/**
 * The WebGPU compute engine: device acquisition, tensors, command batching, GEMM families,
 * elementwise kernels and deterministic reductions.
 *
 * ```ts ignore
 * import { acquireDevice, matmul, readTensors, sumLastAxis, Tensor } from "./mod.ts";
 * const gpu = await acquireDevice();
 * const x = Tensor.from(gpu, new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const w = Tensor.from(gpu, new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]);
 * const y = Tensor.zeros(gpu, [2, 2]);
 * const s = Tensor.zeros(gpu, [2]);
 * matmul(x, w, y); // recorded, not yet submitted
 * sumLastAxis(y, s);
 * const [yh, sh] = await readTensors(y, s); // one submit, one round trip
 * ```
 *
 * @module
 */
export { type AdapterInfo, describeAdapter, isSoftwareAdapter } from "./adapter_info.ts";
export {
  acquireDevice,
  type AcquireOptions,
  type KernelChoices,
  kernelChoices,
  texturesReadable,
} from "./device.ts";
export { ENGINE_MIN_LIMITS, ENGINE_OPTIONAL_FEATURES, type EngineLimitName } from "./engine_limits.ts";
export { GpuDeviceError, GpuUnavailableError } from "./errors.ts";
export { type GemmOperand, type GemmSpec, type MatmulOptions, resolveGemm } from "./gemm_spec.ts";
export {
  type DispatchRequest,
  type GemmFamily,
  Gpu,
  type GpuInit,
  type GpuStats,
  type ScratchTexture,
} from "./gpu.ts";
export { type BindingKind, type Kernel, type KernelConstants, specialize } from "./kernel.ts";
export { MAX_PARAMS_BYTES, Params } from "./params.ts";
export { type CompiledKernel, type ErrorTracker, PipelineCache } from "./pipeline_cache.ts";
export { Recorder, type RecorderStats, type Resource } from "./recorder.ts";
export { type DType, type HostArray, readTensors, shapeSize, Tensor } from "./tensor.ts";
export { axpby, axpbyKernel, axpy, scale } from "./kernels/axpby.ts";
export { add, binary, binaryKernel, type BinaryOp, mul, sub } from "./kernels/binary.ts";
export { copy, fill, fillKernel } from "./kernels/fill.ts";
export { LINEAR_WORKGROUP, linearGrid } from "./kernels/grid.ts";
export { matmul, type MatmulCallOptions } from "./kernels/matmul.ts";
export {
  type GemmTile,
  gemmTile,
  gemmVec4Aligned,
  matmulPackKernel,
  matmulPackTextureKernel,
  matmulSoftware,
  matmulTextureKernel,
  matmulTextureVec4Kernel,
  matmulTransposeKernel,
  type SoftwareGemmOptions,
} from "./kernels/matmul_texture.ts";
export {
  DEFAULT_TILED_CONFIG,
  matmulTiled,
  matmulTiledKernel,
  type TiledConfig,
  tiledConfigFor,
  validateTiledConfig,
} from "./kernels/matmul_tiled.ts";
export {
  dot,
  dotLastAxis,
  reduce,
  REDUCE_CHUNK,
  type ReduceAxis,
  reduceKernel,
  type ReduceOp,
  sumAll,
  sumLastAxis,
  sumLeadingAxes,
  sumSquaresAll,
  sumSquaresLastAxis,
} from "./kernels/reduce.ts";
export { matmulCpu } from "./cpu/matmul.ts";
export { axpbyCpu, binaryCpu } from "./cpu/elementwise.ts";
export { reduceCpu } from "./cpu/reduce.ts";
export {
  adamwKernel,
  type AdamWScalars,
  adamwScalars,
  adamwTextureKernel,
  adamwUpdate,
} from "./kernels/adamw.ts";
export { gradClipFactor, gradClipKernel } from "./kernels/grad_clip.ts";
export { adamwCpu } from "./cpu/adamw.ts";
export { gradClipCpu } from "./cpu/grad_clip.ts";
export * from "./train/mod.ts";
export {
  attention,
  attentionKernel,
  type AttentionLayout,
  type AttentionOptions,
} from "./kernels/attention.ts";
export {
  attentionBackward,
  attentionBackwardKeyKernel,
  type AttentionBackwardOptions,
  attentionBackwardQueryKernel,
  attentionStatsKernel,
  gradTextureTexels,
} from "./kernels/attention_backward.ts";
export { type AttentionTexture, createAttentionTexture } from "./kernels/attention_texture.ts";
export { packRows, type PackRowsOptions, texturePackKernel } from "./kernels/texture_pack.ts";
export { embedding, embeddingKernel } from "./kernels/embedding.ts";
export {
  embeddingBackward,
  embeddingBackwardKernel,
  embeddingKeysKernel,
  embeddingRankKernel,
} from "./kernels/embedding_backward.ts";
export { rmsNorm, rmsNormKernel } from "./kernels/rmsnorm.ts";
export {
  rmsNormBackward,
  rmsNormBackwardKernel,
  type RmsNormBackwardOptions,
  rmsNormWeightGradKernel,
} from "./kernels/rmsnorm_backward.ts";
export { rope, ropeKernel, type RopeOptions } from "./kernels/rope.ts";
export { ropeTable } from "./kernels/rope_table.ts";
export { swiglu, swigluBackward, swigluBackwardKernel, swigluKernel } from "./kernels/swiglu.ts";
export {
  CROSS_ENTROPY_CHUNK,
  crossEntropy,
  type CrossEntropyForm,
  crossEntropyGradKernels,
  type CrossEntropyOutputs,
  crossEntropyPartsKernels,
  crossEntropyRowsKernel,
  crossEntropyTextureVec4Kernel,
  crossEntropyVec4Fits,
} from "./kernels/cross_entropy.ts";
export {
  SAMPLE_CHUNK,
  sampleLabels,
  sampleLabelsKernels,
  sampleLabelsMaxKernels,
  sampleLabelsTotalsKernels,
} from "./kernels/sample_labels.ts";
export type { LogitKernels } from "./kernels/flat_logits.ts";
export {
  argmax,
  ARGMAX_CHUNK,
  argmaxKernel,
  type ArgmaxOptions,
  argmaxPartsKernel,
} from "./kernels/argmax.ts";
export { copyColumns, copyColumnsKernel } from "./kernels/copy_columns.ts";
export { mulHiLo, philox4x32 } from "./cpu/philox.ts";
export { sampleLabelsCpu, type SampleLabelsOptions } from "./cpu/sample_labels.ts";
export { argmaxCpu } from "./cpu/argmax.ts";
export { copyColumnsCpu } from "./cpu/copy_columns.ts";
export * from "./llama/mod.ts";
/** RoPE scaling of a `LlamaConfig` (`rope_scaling`: `linear` or `llama3`). */
export type { RopeScaling } from "./model/config.ts";
