/**
 * A model as the influence pipeline sees it: weights plus the linear layers tracked.
 *
 * @module
 */

import type { LlamaConfig } from "../../model/config.ts";
import type { BlockLinear } from "../../model/param_names.ts";
import { resolveTrackedLayers, type TrackedLayer, trackedLayerNames } from "../tracked_layers.ts";

/** A model's configuration and weights, and the layers its influence settings track. */
export interface InfluenceModel {
  /** The model configuration. */
  config: LlamaConfig;
  /** f32 parameters by HF name. */
  params: ReadonlyMap<string, Float32Array>;
  /** Tracked linear weights (W [out, in]), in forward order. */
  layers: TrackedLayer[];
}

/**
 * Resolves the tracked layers of a model.
 *
 * @param config The model configuration.
 * @param params Its f32 parameters by HF name.
 * @param trackedModules Linear modules of every block to track.
 * @returns The influence model.
 * @throws {RangeError} When a tracked weight's shape is unknown to the configuration.
 */
export function influenceModel(
  config: LlamaConfig,
  params: ReadonlyMap<string, Float32Array>,
  trackedModules: readonly BlockLinear[],
): InfluenceModel {
  return { config, params, layers: resolveTrackedLayers(config, trackedLayerNames(config, trackedModules)) };
}
