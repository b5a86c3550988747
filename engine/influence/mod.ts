/**
 * Influence functions (EK-FAC and its variants): shared settings, tracked layers, and the float64
 * CPU reference of the whole pipeline.
 *
 * @module
 */

export * from "./settings.ts";
export * from "./tracked_layers.ts";
export * from "./cpu/mod.ts";
