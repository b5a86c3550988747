/**
 * The stages of the pipeline, in dependency order.
 *
 * @module
 */
import type { StageDef } from "../run/stage.ts";
import { reportStage } from "./report_stage.ts";
import { tokenizeStage } from "./tokenize_stage.ts";
import { worldStage } from "./world_stage.ts";

/** Every stage `deno task experiment` runs, in an order where each comes after its dependencies. */
export const STAGES: StageDef[] = [worldStage, tokenizeStage, reportStage];

export { reportStage, tokenizeStage, worldStage };
export { readWorldArtifact } from "./world_stage.ts";
export { readTokenizedCorpus, type TokenizedCorpus } from "./tokenize_stage.ts";
export { publishReport } from "./publish_report.ts";
