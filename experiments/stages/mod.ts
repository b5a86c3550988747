/**
 * The stages of the pipeline, in dependency order.
 *
 * @module
 */
import type { StageDef } from "../run/stage.ts";
import { reportStage } from "./report_stage.ts";
import { tokenizeStage } from "./tokenize_stage.ts";
import { worldStage } from "./world_stage.ts";
import { modelStage } from "./model_stage.ts";
import { completeStage } from "./complete_stage.ts";
import { covariancesStage, factorsStage } from "./factors_stage.ts";
import { queryGradientsStage } from "./query_gradients_stage.ts";
import { scoresStage } from "./scores_stage.ts";
import { controlsStage } from "./controls_stage.ts";
import { analysesStage } from "./analyses_stage.ts";
import { counterfactualStage } from "./counterfactual_stage.ts";
import { validateStage } from "./validate_stage.ts";

/** Every stage `deno task experiment` runs, in an order where each comes after its dependencies. */
export const STAGES: StageDef[] = [
  worldStage,
  tokenizeStage,
  modelStage,
  completeStage,
  covariancesStage,
  factorsStage,
  queryGradientsStage,
  scoresStage,
  controlsStage,
  counterfactualStage,
  validateStage,
  analysesStage,
  reportStage,
];

export {
  analysesStage,
  completeStage,
  controlsStage,
  counterfactualStage,
  covariancesStage,
  factorsStage,
  modelStage,
  queryGradientsStage,
  reportStage,
  scoresStage,
  tokenizeStage,
  validateStage,
  worldStage,
};
export type { ModelSummary } from "./model_stage.ts";
export { readWorldArtifact } from "./world_stage.ts";
export { readTokenizedCorpus, type TokenizedCorpus } from "./tokenize_stage.ts";
export { publishReport } from "./publish_report.ts";
