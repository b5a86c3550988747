import { join } from "node:path";
import type { LlamaConfig } from "../../engine/model/config.ts";
import { loadCheckpoint } from "../../engine/model/mod.ts";
import { resolveTrackedLayers, type TrackedLayer, trackedLayerNames } from "../../engine/influence/mod.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import { PROXY_FILES } from "../train/proxy_files.ts";

/** A setup's model as the model stage wrote it, and the layers its influence settings track. */
export interface InfluenceModel {
  config: LlamaConfig;
  /** f32 parameters by HF name. */
  params: Map<string, Float32Array>;
  /** Tracked linear weights (W [out, in]), in forward order. */
  layers: TrackedLayer[];
}

/**
 * Reads the model artifact and resolves the tracked layers.
 *
 * @param modelDir The model stage's artifact folder.
 * @param influence The setup's influence settings.
 * @returns Configuration, parameters and tracked layers.
 */
export async function readInfluenceModel(
  modelDir: string,
  influence: Pick<InfluenceSettings, "trackedModules">,
): Promise<InfluenceModel> {
  const { config, params } = loadCheckpoint(
    await Deno.readTextFile(join(modelDir, PROXY_FILES.config)),
    await Deno.readFile(join(modelDir, PROXY_FILES.weights)),
  );
  const layers = resolveTrackedLayers(config, trackedLayerNames(config, influence.trackedModules));
  return { config, params, layers };
}
