import type { Gpu } from "../../engine/mod.ts";
import {
  type DocumentTokens,
  train,
  type TrainingRecord,
  type TrainProgress,
} from "../../engine/train/mod.ts";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { initParams, type LlamaConfig } from "../../engine/model/mod.ts";
import type { ResolvedSetup } from "../manifest/load_manifest.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import { UserError } from "../run/user_error.ts";
import { pack, type TokenizedCorpus } from "../stages/tokenize_stage.ts";
import { llamaConfigFor } from "../stages/llama_config_for.ts";
import type { TextTokenizer } from "../../fixtures/tokenizer/mod.ts";
import { arithmeticDrills, drillCount } from "./arithmetic_drills.ts";

/** What {@link trainProxy} needs. */
export interface TrainProxyOptions {
  gpu: Gpu;
  setup: ResolvedSetup;
  corpus: TokenizedCorpus;
  /** The run's tokenizer: its size is the proxy's vocabulary, and it encodes any drill sheets. */
  tokenizer: TextTokenizer;
  /** Longest drill sheet in characters: the world's `maxDocChars`, so drills fit the context like documents. */
  maxDocChars: number;
  /** File holding the resumable training state; read at start when present, rewritten at checkpoints. */
  statePath: string;
  onProgress?: (p: TrainProgress) => void;
  /** Called with each saved training state (after it is written), e.g. to publish the weights so far. */
  onCheckpoint?: (state: Uint8Array) => Promise<void>;
  signal?: AbortSignal;
}

/** A trained proxy: its configuration, weights (read back from the GPU) and training record. */
export interface TrainedProxy {
  config: LlamaConfig;
  params: Map<string, Float32Array>;
  record: TrainingRecord;
  /** The live model, for generation; the caller destroys it. */
  model: GpuLlama;
}

/**
 * Trains a setup's proxy from its seeded initialisation on the tokenized corpus, resuming from
 * `statePath` when a compatible state is there. A state made with other settings, a corrupted state or a
 * diverged run is a {@link UserError} naming the file.
 *
 * @param options GPU, setup, corpus, state file.
 * @returns The trained proxy.
 */
export async function trainProxy(options: TrainProxyOptions): Promise<TrainedProxy> {
  const { gpu, setup, corpus, statePath } = options;
  const config = llamaConfigFor(setup.model, options.tokenizer.vocabSize);
  const model = new GpuLlama(gpu, config, initParams(config, setup.training.seed));
  let record: TrainingRecord;
  try {
    const { scoredRepeats, arithmeticDrills: share, ...settings } = setup.training;
    const documents = scoredRepeats * (corpus.documents.offsets.length - 1) + corpus.unscored.offsets.length -
      1;
    const drills = drillTokens(
      drillCount(documents, share),
      settings.seed,
      options.maxDocChars,
      options.tokenizer,
    );
    record = await train(model, trainingCorpus(corpus, scoredRepeats, drills), settings, {
      maxSeqLen: config.maxPositionEmbeddings,
      loadState: () =>
        Deno.readFile(statePath).catch((e) => e instanceof Deno.errors.NotFound ? null : Promise.reject(e)),
      saveState: async (bytes) => {
        await atomicWrite(statePath, bytes);
        await options.onCheckpoint?.(bytes);
      },
      onProgress: options.onProgress,
      signal: options.signal,
    });
  } catch (error) {
    model.destroy();
    const e = error as Error;
    if (
      e.name === "IncompatibleTrainStateError" ||
      /^(Cannot read training state|Training diverged)/.test(e.message)
    ) {
      throw new UserError(`Training ${setup.name} with state "${statePath}": ${e.message}`);
    }
    throw error;
  }
  return { config, params: await model.readParams(), record, model };
}

/**
 * Arithmetic drill sheets ({@linkcode arithmeticDrills}) tokenized as documents are: BOS + text + EOS.
 *
 * @param count Number of sheets.
 * @param seed The training seed.
 * @param maxChars Longest sheet, in characters.
 * @param tokenizer The run's tokenizer.
 * @returns The sheets, packed.
 */
export function drillTokens(
  count: number,
  seed: number,
  maxChars: number,
  tokenizer: TextTokenizer,
): DocumentTokens {
  const [tokens, offsets] = pack(
    arithmeticDrills(count, seed, maxChars).map((t) => tokenizer.encode(t, { bos: true, eos: true })),
  );
  return { tokens, offsets };
}

/**
 * The documents a proxy trains on: the scored corpus `scoredRepeats` times, then the unscored rest
 * of pretraining once, then any drill sheets (the trainer shuffles them per epoch).
 *
 * @param corpus The tokenize stage's outputs.
 * @param scoredRepeats Copies of each scored document, at least 1.
 * @param drills Drill sheets to add ({@linkcode drillTokens}), or null.
 * @returns The documents, packed.
 */
export function trainingCorpus(
  corpus: TokenizedCorpus,
  scoredRepeats: number,
  drills: DocumentTokens | null = null,
): DocumentTokens {
  const parts = [...Array<DocumentTokens>(scoredRepeats).fill(corpus.documents), corpus.unscored];
  if (drills !== null && drills.offsets.length > 1) parts.push(drills);
  const total = parts.reduce((n, p) => n + p.tokens.length, 0);
  const documents = parts.reduce((n, p) => n + p.offsets.length - 1, 0);
  const tokens = new Int32Array(total);
  const offsets = new Int32Array(documents + 1);
  let t = 0, d = 0;
  for (const part of parts) {
    tokens.set(part.tokens, t);
    const n = part.offsets.length - 1;
    for (let i = 1; i <= n; i++) offsets[d + i] = t + part.offsets[i];
    t += part.tokens.length;
    d += n;
  }
  return { tokens, offsets };
}
