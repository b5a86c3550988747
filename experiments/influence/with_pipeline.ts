import { acquireDevice } from "../../engine/mod.ts";
import {
  InfluencePipeline,
  type InfluencePipelineSettings,
  pipelineSettings,
} from "../../engine/influence/pipeline/mod.ts";
import type { LlamaConfig } from "../../engine/model/config.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import type { PlannedPipelineSettings } from "./memory_check.ts";

/**
 * The engine pipeline's settings of a setup's resolved influence settings (the manifest's block, seed
 * resolved; `fitDocuments` and `fitFrom` choose the rows the stages pass, not the pipeline's).
 *
 * @param influence The setup's influence settings.
 * @param planned The module groups and scoring widths of the setup's memory plan (`deviceMemoryGiB`), or
 *   null: every module resident, the engine's widths.
 * @returns The pipeline's settings.
 */
export function pipelineSettingsOf(
  influence: InfluenceSettings & { seed: number },
  planned: PlannedPipelineSettings | null = null,
): InfluencePipelineSettings {
  return pipelineSettings({
    ...planned,
    strategy: influence.strategy,
    trackedModules: influence.trackedModules,
    damping: influence.damping,
    labels: influence.labels,
    blocks: influence.blocks,
    eigensolver: influence.eigensolver,
    fitPartDocuments: influence.fitPartDocuments,
    queryRank: influence.queryRank,
    scoreChunkDocuments: influence.scoreChunkDocuments,
    perTokenTopDocuments: influence.perTokenTopDocuments,
    seed: influence.seed,
  });
}

/**
 * Runs `work` with an influence pipeline for the model on a fresh device, released afterwards.
 *
 * @param model Configuration and weights.
 * @param influence The setup's influence settings.
 * @param work What to do with the pipeline.
 * @param planned The setup's planned module groups and scoring widths (`stagePlannedSettings`), or null.
 * @returns What `work` returns.
 */
export async function withPipeline<T>(
  model: { config: LlamaConfig; params: ReadonlyMap<string, Float32Array> },
  influence: InfluenceSettings & { seed: number },
  work: (pipeline: InfluencePipeline) => Promise<T>,
  planned: PlannedPipelineSettings | null = null,
): Promise<T> {
  const gpu = await acquireDevice();
  try {
    const pipeline = new InfluencePipeline(gpu, model, pipelineSettingsOf(influence, planned));
    try {
      return await work(pipeline);
    } finally {
      pipeline.destroy();
    }
  } finally {
    await gpu.destroy();
  }
}
