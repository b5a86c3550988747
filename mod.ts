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
  findQueryLeaks,
  generateWorld,
  loadTokenizer,
  summarizeWorld,
  Tokenizer,
  worldDigest,
} from "./fixtures/mod.ts";
export type { Document, Fact, Query, World, WorldConfig, WorldSummary } from "./fixtures/mod.ts";
export { loadCheckpoint, parseLlamaConfig, saveCheckpoint } from "./engine/model/mod.ts";
export { readSafetensors, writeSafetensors } from "./engine/io/mod.ts";
export { diffReports, formatReportDiff, type ReportDocument, writeReport } from "./reports/render/mod.ts";
