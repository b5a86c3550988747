import { join } from "node:path";
import { loadCheckpoint } from "../../engine/model/mod.ts";
import { type InfluenceModel, influenceModel } from "../../engine/influence/pipeline/mod.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import { PROXY_FILES } from "../train/proxy_files.ts";

export type { InfluenceModel };

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
  return influenceModel(config, params, influence.trackedModules);
}
