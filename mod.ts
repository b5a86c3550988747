/**
 * Procedural-knowledge harness: a declarative, reproducible reproduction of Ruis et al. (2024),
 * "Procedural Knowledge in Pretraining Drives Reasoning in Large Language Models".
 *
 * A manifest names the synthetic world, the compared setups ("7B" and "35B" proxies), the influence
 * settings, the analyses and the report; {@linkcode runPlan} runs its stages with content-addressed
 * caching. The world generator and tokenizer, the model file formats and the report renderer are
 * exported for use on their own.
 *
 * @example Resolve a manifest and generate its world
 * ```ts
 * import { generateWorld, parseManifest } from "./mod.ts";
 *
 * const manifest = parseManifest(
 *   `{ "experiment": "demo", "world": { "documents": 600, "facts": { "count": 20 } },
 *      "queries": { "factualPool": 10 }, "setups": { "7B": {}, "35B": { "model": { "hiddenSize": 128 } } } }`,
 *   { file: "demo.jsonc" },
 * );
 * const world = generateWorld(manifest.world, manifest.queries);
 * console.assert(manifest.setups.length === 2 && world.documents.length === 600);
 * ```
 *
 * @example Score your own token rows with the influence pipeline (a tiny random model here)
 * ```ts
 * import assert from "node:assert/strict";
 * import { InfluencePipeline, initParams, type LlamaConfig } from "./mod.ts";
 *
 * const config: LlamaConfig = {
 *   hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1,
 *   headDim: 8, rmsNormEps: 1e-5, ropeTheta: 10000, vocabSize: 32, maxPositionEmbeddings: 64,
 *   tieWordEmbeddings: true, initializerRange: 0.02,
 * };
 * const documents = [[1, 5, 9, 4, 7], [1, 3, 3, 8], [1, 12, 20, 6, 2, 30], [1, 4, 7]]; // token ids
 * const queries = [{ prompt: [1, 5, 9], completion: [4, 7] }]; // f = log p(completion | prompt)
 *
 * const pipeline = await InfluencePipeline.create({ config, params: initParams(config, 1) }, { seed: 1 });
 * const factors = await pipeline.fitFactors(documents); // EK-FAC: A, S, eigenbases, Λ
 * const { p } = await pipeline.preconditionQueries(queries, factors); // (G + λI)⁻¹ ∇(−f)
 * for await (const { start, chunk } of pipeline.scoreDocuments(p, queries.length, documents)) {
 *   assert.equal(start, 0);
 *   assert.equal(chunk.scores.length, queries.length * documents.length); // [queries, documents]
 * }
 * await pipeline.close();
 * ```
 *
 * @module
 */
export * from "./experiments/mod.ts";
export {
  defaultTokenizer,
  DISTRACTOR_PROCEDURES,
  findQueryLeaks,
  FORMATS,
  generateWorld,
  loadTokenizer,
  PROCEDURES,
  QUERY_SETS,
  SOURCES,
  summarizeWorld,
  TARGET_PROCEDURES,
  Tokenizer,
  worldDigest,
} from "./fixtures/mod.ts";
export type {
  DecodeOptions,
  Document,
  EncodeOptions,
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
  SourceSummary,
  SpecialTokens,
  Step,
  UnscoredConfig,
  Vocab,
  WorkedConfig,
  World,
  WorldConfig,
  WorldSummary,
} from "./fixtures/mod.ts";
export { initParams, loadCheckpoint, parseLlamaConfig, saveCheckpoint } from "./engine/model/mod.ts";
export {
  corpusRows,
  DEFAULT_PIPELINE_SETTINGS,
  FIT_BATCH_DOCUMENTS,
  fitOrder,
  InfluencePipeline,
  int32Rows,
  joinChunks,
  MemoryFactorStore,
  pipelineSettings,
  planFit,
  QUERY_BATCH,
  SCORE_BATCH_DOCUMENTS,
  SCORE_PRODUCT_DOCUMENTS,
  scoreTopTokens,
  SEQ_LEN_MULTIPLE,
  shardRange,
  storedFactors,
} from "./engine/influence/pipeline/mod.ts";
export type {
  EigenSummary,
  FactorSource,
  FactorStore,
  FitBatch,
  FitPassResult,
  FitPlan,
  FitResult,
  FitSeconds,
  FittedFactors,
  InfluenceModel,
  InfluencePipelineSettings,
  ModuleFactors,
  ModuleGroups,
  ModuleLoader,
  ModuleSource,
  PreconditionedQueries,
  QueryGradients,
  QueryGroup,
  QueryMatrix,
  QueryRow,
  ScoreChunk,
  ScoredChunk,
  ScoredMatrixChunk,
  ScoreDocumentsOptions,
  ScoreMatricesOptions,
  ScoringShape,
  StoredFitResult,
  TokenRow,
  TokenRows,
  TokenScoreRunner,
  TopTokenPair,
  TopTokenScores,
} from "./engine/influence/pipeline/mod.ts";
export type {
  LayerCovariance,
  LayerEigenbasis,
  LayerLambda,
  PreconditionFactors,
  TrackedLayer,
} from "./engine/influence/mod.ts";
export type { CovarianceSums, LambdaSums } from "./engine/influence/gpu/mod.ts";
export {
  describePlan,
  formatBytes,
  type MemoryPlan,
  MemoryPlanError,
  type MemoryPlanInput,
  planInfluenceMemory,
  PLANNED_STAGES,
  type PlannedBuffer,
  type PlannedStage,
  planSettings,
  type StagePlan,
} from "./engine/influence/mod.ts";
export { BLOCK_LINEARS, type BlockLinear } from "./engine/model/mod.ts";
export type { SymmetricEigen } from "./engine/influence/mod.ts";
export type { Checkpoint, LlamaConfig, LlamaParams, RopeScaling } from "./engine/model/mod.ts";
export { readSafetensors, writeSafetensors } from "./engine/io/mod.ts";
export { SAFETENSORS_DTYPES } from "./engine/io/mod.ts";
export type { SafetensorsDtype, SafetensorsFile, SafetensorsTensor } from "./engine/io/mod.ts";
export { diffReports, formatReportDiff, type ReportDocument, writeReport } from "./reports/render/mod.ts";
export { FINDING_VERDICTS, SETUP_VERDICTS } from "./reports/render/mod.ts";
export type {
  AdapterKernels,
  AdapterRecord,
  Block,
  ChartBlock,
  CodeBlock,
  DetailsBlock,
  FactualDrawRecord,
  Finding,
  GateRecord,
  HeadingBlock,
  JsonChange,
  KeyValueBlock,
  KeyValuePair,
  ListBlock,
  MeasuredValue,
  NoteBlock,
  NumberFormat,
  NumericTolerance,
  ParagraphBlock,
  Provenance,
  RenderLimits,
  ReportDiff,
  ReportIdentity,
  ReportJson,
  ReportSetup,
  Section,
  StepDiagnosticsRecord,
  TableBlock,
  TableCell,
  TableColumn,
  TiledConfig,
  TokensBlock,
  WeightedToken,
  WriteReportOptions,
  WrittenReport,
} from "./reports/render/mod.ts";
