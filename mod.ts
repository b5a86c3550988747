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
export { loadCheckpoint, parseLlamaConfig, saveCheckpoint } from "./engine/model/mod.ts";
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
