/**
 * The Llama model on the GPU: forward, loss and gradients (the trainer's `TrainableModel`),
 * per-layer records for EK-FAC, and greedy generation with a key/value cache.
 *
 * @module
 */
export { generateGreedy, type GreedyOptions } from "./generate_greedy.ts";
export { GpuLlama, type RecordedLoss, type RecordOptions } from "./gpu_llama.ts";
export { KvCache } from "./kv_cache.ts";
export { type LlamaDims, llamaDims } from "./llama_dims.ts";
export type { GpuLinearRecord } from "./workspace.ts";
export type { LlamaConfig } from "../model/config.ts";
