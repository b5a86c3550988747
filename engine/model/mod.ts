/**
 * The Llama model format: configuration, parameter layout and names, seeded initialisation, and
 * Hugging Face checkpoints.
 *
 * @module
 */

export * from "./config.ts";
export * from "./param_names.ts";
export * from "./params.ts";
export * from "./prng.ts";
export * from "./init_params.ts";
export * from "./checkpoint.ts";
export * from "./rope_frequencies.ts";
export type { SafetensorsTensor } from "../io/safetensors.ts";
export * from "./sharded_checkpoint.ts";
