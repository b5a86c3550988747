/**
 * File formats: safetensors reading and writing, and half-precision conversions.
 *
 * @module
 */

export * from "./canonical_json.ts";
export * from "./safetensors.ts";
export * from "./float16.ts";
export * from "./find_duplicate_json_key.ts";
export * from "./parse_safetensors_header.ts";
export * from "./read_safetensors.ts";
export * from "./write_safetensors.ts";
