/**
 * Influence functions (EK-FAC and its variants): shared settings, tracked layers, the float64 CPU
 * reference of the whole pipeline, and the pipeline itself over token-id rows on the GPU
 * ({@linkcode InfluencePipeline}).
 *
 * @module
 */

export * from "./settings.ts";
export * from "./tracked_layers.ts";
export * from "./cpu/mod.ts";
export * from "./pipeline/mod.ts";
export * from "./memory_plan.ts";
