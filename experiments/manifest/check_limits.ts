import type { QueriesConfig, WorldConfig } from "../../fixtures/world/config.ts";
import { planDocuments } from "../../fixtures/world/plan_documents.ts";
import { deriveRng } from "../../fixtures/world/rng.ts";
import { characterVocab, loadTokenizer } from "../../fixtures/tokenizer/mod.ts";
import { paramCount } from "../../engine/model/mod.ts";
import { llamaConfigFor } from "../stages/llama_config_for.ts";
import type { AnalysesSettings } from "../schema/analyses_schema.ts";
import type { SetupSettings } from "../schema/setup_schema.ts";
import type { TokenizerSettings } from "../schema/manifest_schema.ts";
import { memoryProblem, plannedQueryRows } from "../influence/memory_check.ts";

/**
 * Upper bounds of a manifest's sizes: far above the paper-scale study (200k scored and 2M unscored
 * documents, proxies of 206M parameters, batch 32 × 512 tokens), far below what would hang the world
 * generator or run out of memory before the first step. Within them, a dry run's "run" means the run
 * can start.
 */
export const MANIFEST_LIMITS = {
  /** world.documents: the scored corpus (the paper scores 5M documents). */
  documents: 5_000_000,
  /** world.unscored.documents. */
  unscoredDocuments: 20_000_000,
  /** world.facts.count. */
  facts: 1_000_000,
  /** Each count of `queries`. */
  queriesPerSet: 100_000,
  /** model.hiddenSize. */
  hiddenSize: 16_384,
  /** model.intermediateSize. */
  intermediateSize: 65_536,
  /** model.layers. */
  layers: 512,
  /** model.heads (kvHeads divide it). */
  heads: 1_024,
  /** model.contextLength. */
  contextLength: 131_072,
  /** Parameters of a proxy trained by the harness (float32 weights and AdamW state: 16 bytes each). */
  trainedParameters: 4_000_000_000,
  /** training.steps. */
  steps: 100_000_000,
  /** training.batchSize. */
  batchSize: 65_536,
  /** training.batchSize × model.contextLength: tokens of one training step. */
  tokensPerStep: 4_194_304,
  /** maxCompletionTokens. */
  completionTokens: 131_072,
  /** analyses.permutations and analyses.bootstrap.resamples. */
  resamples: 10_000_000,
} as const;

/**
 * The cross-field and size checks of a manifest that its schema cannot express: upper bounds
 * ({@link MANIFEST_LIMITS}), analysis depths against the corpus size, the factual pool against the facts,
 * whether the world's documents can be planned at all (the generator's own planning, run on the
 * settings alone), and, for a setup that gives `deviceMemoryGiB` and trains its proxy on generated
 * queries, the memory plan of its influence stages (documents and queries as long as the context; a
 * checkpoint's, or your own queries', is checked by the model stage). Pure checks: they never change a
 * value.
 *
 * @param world Resolved world settings.
 * @param queries Resolved query counts.
 * @param analyses Resolved analyses settings.
 * @param setups Resolved setups by name.
 * @param tokenizer The manifest's character tokenizer settings (number tokens widen the vocabulary).
 * @returns Problem lines (JSON path, what was expected, what was found); empty when all is well.
 */
export function checkLimits(
  world: WorldConfig,
  queries: QueriesConfig,
  analyses: AnalysesSettings,
  setups: ReadonlyMap<string, SetupSettings>,
  tokenizer: TokenizerSettings = {},
): string[] {
  const problems: string[] = [];
  const vocabSize = loadTokenizer(characterVocab(tokenizer.numberChunks)).vocabSize;
  const atMost = (path: string, value: number, limit: number, why = "") => {
    if (value > limit) {
      problems.push(`${path} must be at most ${limit}${why}, got ${value}`);
      return false;
    }
    return true;
  };
  const worldOk = [
    atMost("world.documents", world.documents, MANIFEST_LIMITS.documents),
    atMost("world.unscored.documents", world.unscored.documents, MANIFEST_LIMITS.unscoredDocuments),
    atMost("world.facts.count", world.facts.count, MANIFEST_LIMITS.facts),
  ].every(Boolean);
  for (const [key, value] of Object.entries(queries)) {
    if (typeof value === "number") atMost(`queries.${key}`, value, MANIFEST_LIMITS.queriesPerSet);
  }
  if (queries.factualPool > world.facts.count) {
    problems.push(
      `queries.factualPool must be at most world.facts.count (${world.facts.count}): each factual query ` +
        `asks about its own fact, got ${queries.factualPool}`,
    );
  }
  for (const key of ["answerSearchTopK", "procedureTopK"] as const) {
    atMost(`analyses.${key}`, analyses[key], world.documents, ` (world.documents, the documents scored)`);
  }
  atMost("analyses.permutations", analyses.permutations, MANIFEST_LIMITS.resamples);
  atMost("analyses.bootstrap.resamples", analyses.bootstrap.resamples, MANIFEST_LIMITS.resamples);
  if (worldOk) problems.push(...planProblems(world));

  for (const [name, s] of setups) {
    const at = `setups.${name}`;
    const m = s.model;
    const shapeOk = [
      atMost(`${at}.model.hiddenSize`, m.hiddenSize, MANIFEST_LIMITS.hiddenSize),
      atMost(`${at}.model.intermediateSize`, m.intermediateSize, MANIFEST_LIMITS.intermediateSize),
      atMost(`${at}.model.layers`, m.layers, MANIFEST_LIMITS.layers),
      atMost(`${at}.model.heads`, m.heads, MANIFEST_LIMITS.heads),
      atMost(`${at}.model.contextLength`, m.contextLength, MANIFEST_LIMITS.contextLength),
    ].every(Boolean);
    atMost(`${at}.training.steps`, s.training.steps, MANIFEST_LIMITS.steps);
    const batchOk = atMost(`${at}.training.batchSize`, s.training.batchSize, MANIFEST_LIMITS.batchSize);
    atMost(`${at}.maxCompletionTokens`, s.maxCompletionTokens, MANIFEST_LIMITS.completionTokens);
    if (s.checkpoint !== null && s.checkpoint !== undefined) continue;
    if (shapeOk && batchOk && s.training.batchSize * m.contextLength > MANIFEST_LIMITS.tokensPerStep) {
      problems.push(
        `${at}.training.batchSize × model.contextLength must be at most ${MANIFEST_LIMITS.tokensPerStep} ` +
          `tokens per step, got ${s.training.batchSize} × ${m.contextLength}`,
      );
    }
    if (shapeOk) {
      const count = trainedParameters(s, vocabSize);
      if (count !== undefined && count > MANIFEST_LIMITS.trainedParameters) {
        problems.push(
          `${at}.model must have at most ${MANIFEST_LIMITS.trainedParameters} parameters to be trained ` +
            `here, got ${count} (hiddenSize ${m.hiddenSize}, intermediateSize ${m.intermediateSize}, ` +
            `layers ${m.layers})`,
        );
      } else if (count !== undefined && queries.path === undefined) {
        const config = llamaConfigFor(m, vocabSize);
        const problem = memoryProblem(at, s, config, {
          documentTokens: m.contextLength,
          queryTokens: m.contextLength,
          queryRows: plannedQueryRows(queries, s.querySets),
        });
        if (problem !== null) problems.push(problem);
      }
    }
  }
  return problems;
}

/** Parameters of the proxy a setup trains, or undefined when its shape is invalid (reported elsewhere). */
function trainedParameters(s: Pick<SetupSettings, "model">, vocabSize: number): number | undefined {
  try {
    return paramCount(llamaConfigFor(s.model, vocabSize));
  } catch {
    return undefined;
  }
}

/**
 * Runs the world generator's document planning on the settings (fact documents, procedure documents per
 * source), which fails when the sources cannot hold them; its message becomes a problem line.
 */
function planProblems(world: WorldConfig): string[] {
  const counts = world.facts.mentionCounts;
  const facts = Array.from(
    { length: world.facts.count },
    (_, i) => ({ mentions: counts[i % counts.length] }),
  );
  const drafts = facts as unknown as Parameters<typeof planDocuments>[1];
  const rng = () => deriveRng(world.seed, "check");
  try {
    if (world.layout === "stream") {
      planDocuments({ ...world, documents: world.documents + world.unscored.documents }, drafts, rng());
    } else {
      planDocuments(world, drafts, rng());
      if (world.unscored.documents > 0) {
        planDocuments(
          { ...world, documents: world.unscored.documents, procedureShare: world.unscored.procedureShare },
          [],
          rng(),
        );
      }
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return [`world cannot be generated: ${error.message}`];
  }
  return [];
}
