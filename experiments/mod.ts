/**
 * Experiment manifests and the staged, cached runner that executes them.
 *
 * @module
 */
export { loadManifest, parseManifest } from "./manifest/load_manifest.ts";
export type { ParseManifestOptions, ResolvedManifest, ResolvedSetup } from "./manifest/load_manifest.ts";
export { ManifestError } from "./manifest/manifest_error.ts";
export {
  type CorpusSettings,
  type ManifestFile,
  manifestJsonSchema,
  type TokenizerSettings,
} from "./schema/manifest_schema.ts";
export { FORMATS, PROCEDURES, QUERY_SETS, SOURCES } from "../fixtures/mod.ts";
export type {
  Document,
  Fact,
  FactsConfig,
  Format,
  ProcedureLabel,
  ProcedureName,
  ProcedureWeights,
  QueriesConfig,
  Query,
  QuerySet,
  ReadingConfig,
  Source,
  SourceAffinity,
  SourceMix,
  Step,
  UnscoredConfig,
  WorkedConfig,
  WorldConfig,
} from "../fixtures/mod.ts";
export type { QuerySetName, SetupSettings } from "./schema/setup_schema.ts";
export {
  type FisherLabels,
  type InfluenceSettings,
  TRACKABLE_MODULES,
  type TrackableModule,
} from "./schema/influence_schema.ts";
export {
  type DampingSetting,
  INFLUENCE_STRATEGIES,
  type InfluenceStrategy,
} from "../engine/influence/settings.ts";
export { type ModelSettings, type TrainingSettings } from "./schema/model_schema.ts";
export type { AnalysesSettings, BootstrapSettings, ReportSettings } from "./schema/analyses_schema.ts";
export type { CounterfactualSettings } from "./schema/counterfactual_schema.ts";
export type { Progress, ProgressSink } from "./run/progress.ts";
export { type PlanEntry, type PlanOptions, type PlanResult, runPlan } from "./run/run_plan.ts";
export type { Artifact, ArtifactMeta, StageContext, StageDef } from "./run/stage.ts";
export { UserError } from "./run/user_error.ts";
export { canonicalJson } from "../engine/io/canonical_json.ts";
export { hashJson, sha256Hex } from "./run/hash.ts";
export {
  publishReport,
  readTokenizedCorpus,
  readWorldArtifact,
  STAGES,
  type TokenizedCorpus,
} from "./stages/mod.ts";
