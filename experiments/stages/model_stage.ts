import { join } from "node:path";
import { z } from "zod";
import { acquireDevice } from "../../engine/mod.ts";
import {
  type Checkpoint,
  loadCheckpoint,
  loadShardedCheckpoint,
  paramCount,
  parseShardIndex,
  saveCheckpoint,
  SHARD_INDEX_FILE,
} from "../../engine/model/mod.ts";
import { sha256Hex } from "../run/hash.ts";
import type { Progress } from "../run/progress.ts";
import type { StageDef } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import { memoryProblem, tokenizedSizes } from "../influence/memory_check.ts";
import { checkpointDir, PROXY_FILES } from "../train/proxy_files.ts";
import { trainProxy } from "../train/train_proxy.ts";
import { readTokenizedCorpus } from "./tokenize_stage.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";

/** What the model stage records about a setup's model. */
export interface ModelSummary {
  source: "checkpoint" | "trained";
  parameterCount: number;
  checkpointSha256: string;
  /** training.json of a checkpoint folder, when it has one (proxies trained by `deno task train`). */
  training: Record<string, unknown> | null;
}

/** {@linkcode ModelSummary} as read back from meta.json. */
export const modelSummarySchema: z.ZodType<ModelSummary, unknown> = z.looseObject({
  source: z.enum(["checkpoint", "trained"]),
  parameterCount: z.number(),
  checkpointSha256: z.string(),
  training: z.record(z.string(), z.unknown()).nullable(),
});

/**
 * Stage `model` (per setup): the setup's weights, as `config.json` + `model.safetensors` (Hugging Face
 * Llama format). A setup that names a `checkpoint` folder loads and validates it (shapes against its
 * config.json, vocabulary against the tokenizer); a sharded one (`model.safetensors.index.json`) is joined
 * into one float32 `model.safetensors`; otherwise the proxy is trained here from `model` and
 * `training`, with its resumable training state in the stage's work folder.
 */
export const modelStage: StageDef = {
  name: "model",
  version: 1,
  perSetup: true,
  deps: ["tokenize"],
  async settings(m, setup) {
    const dir = checkpointDir(m, setup!);
    if (dir === null) return { source: "train", model: setup!.model, training: setup!.training };
    return { source: "checkpoint", files: (await readCheckpoint(dir, m, setup!.name)).hashes };
  },
  async run(ctx) {
    const setup = ctx.setup!;
    const tokenized = ctx.inputs.tokenize.meta.summary as {
      vocabSize: number;
      tokenizer?: string;
      longestDocument: number;
      longestQuery: number;
    };
    const vocab = tokenized.vocabSize;
    const dir = checkpointDir(ctx.manifest, setup);
    let bytes: Uint8Array;
    let configJson: string;
    let training: Record<string, unknown> | null = null;
    let joined: Checkpoint | null = null;
    if (dir !== null) {
      ({ bytes, configJson, joined } = await readCheckpoint(dir, ctx.manifest, setup.name));
      if (joined !== null) ({ bytes, configJson } = saveCheckpoint(joined.config, joined.params));
      training = await Deno.readTextFile(join(dir, PROXY_FILES.record)).then(
        (t) => JSON.parse(t) as Record<string, unknown>,
        () => null,
      );
    } else {
      const gpu = await acquireDevice();
      try {
        const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
        // A resumed training's first report counts the steps done before; the rate starts after it.
        let bar: Progress | null = null;
        let shown = 0;
        const trained = await trainProxy({
          gpu,
          setup,
          corpus,
          tokenizer: (await runTokenizer(ctx.manifest)).tokenizer,
          maxDocChars: ctx.manifest.world.maxDocChars,
          statePath: join(ctx.workDir, PROXY_FILES.state),
          onProgress: (p) => {
            bar ??= ctx.progress("training steps", p.steps);
            bar.tick(p.step - shown, `loss ${p.meanLoss.toFixed(4)}`);
            shown = p.step;
          },
        });
        (bar as Progress | null)?.done();
        trained.model.destroy();
        ({ configJson, bytes } = saveCheckpoint(trained.config, trained.params));
        training = { status: "trained", record: trained.record };
      } finally {
        await gpu.destroy();
      }
    }
    let loaded;
    try {
      loaded = loadCheckpoint(configJson, bytes);
    } catch (error) {
      throw new UserError(
        `Cannot load the model of setup ${setup.name} from "${dir}": ${(error as Error).message}`,
      );
    }
    // A Hugging Face model's embedding may have more rows than its tokenizer has ids (padded vocabularies).
    const hf = tokenized.tokenizer === "huggingface";
    if (hf ? loaded.config.vocabSize < vocab : loaded.config.vocabSize !== vocab) {
      throw new UserError(
        `Cannot use the model of setup ${setup.name} from "${dir}": its vocab_size is ${loaded.config.vocabSize}, ` +
          `the tokenizer has ${vocab} entries (was it trained with another tokenizer?)`,
      );
    }
    const longest = Math.max(tokenized.longestDocument, tokenized.longestQuery + setup.maxCompletionTokens);
    if (hf && loaded.config.maxPositionEmbeddings < longest) {
      throw new UserError(
        `Cannot use the model of setup ${setup.name} from "${join(dir!, PROXY_FILES.config)}": ` +
          `max_position_embeddings is ${loaded.config.maxPositionEmbeddings}, but the longest document or ` +
          `query with its completion takes ${longest} tokens`,
      );
    }
    // The memory plan of a checkpoint's (or your own queries') influence stages, checked here once its
    // shape and the tokenized lengths are known (a trained proxy's was checked with the manifest).
    if (setup.deviceMemoryGiB !== undefined && (dir !== null || ctx.manifest.queries.path !== undefined)) {
      const sizes = await tokenizedSizes(ctx.manifest, setup, ctx.inputs.tokenize);
      const problem = memoryProblem(`setups.${setup.name}`, setup, loaded.config, sizes);
      if (problem !== null) throw new UserError(`Cannot run setup ${setup.name}: ${problem}`);
    }
    await Deno.writeFile(join(ctx.outDir, PROXY_FILES.weights), bytes);
    await Deno.writeTextFile(join(ctx.outDir, PROXY_FILES.config), configJson);
    const summary: ModelSummary = {
      source: dir === null ? "trained" : "checkpoint",
      parameterCount: paramCount(loaded.config),
      checkpointSha256: await sha256Hex(bytes),
      training,
    };
    return summary;
  },
};

/** The two files of a checkpoint folder, read, hashed and validated. */
interface CheckpointFiles {
  /** model.safetensors; empty for a sharded checkpoint. */
  bytes: Uint8Array;
  configJson: string;
  hashes: Record<string, string>;
  /** A sharded checkpoint, loaded (its shards joined); null for one model.safetensors. */
  joined: Checkpoint | null;
}

/**
 * Reads a setup's checkpoint folder and checks everything that can be checked before a run: that the
 * folder and its two files exist and are what they should be (a folder, files), that the model loads
 * (config, every tensor's dtype and shape, finite weights), that its vocabulary is the tokenizer's and
 * that its context holds the world's longest document. Runs when the plan is made, so a bad checkpoint
 * fails even a dry run, with one line naming the file, before any stage runs.
 */
async function readCheckpoint(
  dir: string,
  manifest: ResolvedManifest,
  setup: string,
): Promise<CheckpointFiles> {
  const cannot = `Cannot load the model of setup ${setup}`;
  await expectKind(dir, "folder", cannot, setup);
  const read = async (name: string) => {
    const path = join(dir, name);
    await expectKind(path, "file", cannot, setup);
    try {
      return await Deno.readFile(path);
    } catch (error) {
      throw new UserError(`${cannot}: "${path}" cannot be read (${(error as Error).message})`);
    }
  };
  const configBytes = await read(PROXY_FILES.config);
  const configJson = new TextDecoder().decode(configBytes);
  const sharded = !(await exists(join(dir, PROXY_FILES.weights))) &&
    await exists(join(dir, SHARD_INDEX_FILE));
  let bytes = new Uint8Array();
  let joined: Checkpoint | null = null;
  const hashes: Record<string, string> = { [PROXY_FILES.config]: await sha256Hex(configBytes) };
  let config;
  if (sharded) {
    const indexBytes = await read(SHARD_INDEX_FILE);
    hashes[SHARD_INDEX_FILE] = await sha256Hex(indexBytes);
    const indexJson = new TextDecoder().decode(indexBytes);
    try {
      const shards = new Map<string, Uint8Array>();
      for (const file of parseShardIndex(indexJson).files) {
        const shard = await read(file);
        hashes[file] = await sha256Hex(shard);
        shards.set(file, shard);
      }
      joined = loadShardedCheckpoint(configJson, indexJson, shards);
      config = joined.config;
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(checkpointMessage(cannot, dir, (error as Error).message, SHARD_INDEX_FILE));
    }
  } else {
    bytes = await read(PROXY_FILES.weights);
    hashes[PROXY_FILES.weights] = await sha256Hex(bytes);
    try {
      config = loadCheckpoint(configJson, bytes).config;
    } catch (error) {
      throw new UserError(checkpointMessage(cannot, dir, (error as Error).message));
    }
  }
  const configPath = join(dir, PROXY_FILES.config);
  if (config.headDim % 4 !== 0) {
    throw new UserError(
      `${cannot} from "${configPath}": the head width hidden_size/num_attention_heads = ${config.headDim} ` +
        "must be a multiple of 4 for the GPU engine",
    );
  }
  const run = await runTokenizer(manifest);
  const vocab = run.tokenizer.vocabSize;
  if (run.kind === "huggingface") {
    if (config.vocabSize < vocab) {
      throw new UserError(
        `${cannot} from "${configPath}": vocab_size must be at least ${vocab} (the ids of ` +
          `"${join(run.dir!, "tokenizer.json")}"), got ${config.vocabSize}`,
      );
    }
    // The tokenizer is part of what the setup's completions depend on (the complete stage reads no
    // tokenize artifact), so its files count among the checkpoint's.
    const tokenizerFiles = (run.settings.tokenizer as { files: Record<string, string | null> }).files;
    for (const [name, hash] of Object.entries(tokenizerFiles)) if (hash !== null) hashes[name] = hash;
    // Documents are checked against the context once tokenized (the model stage's run).
    return { bytes, configJson, hashes, joined };
  }
  if (config.vocabSize !== vocab) {
    throw new UserError(
      `${cannot} from "${configPath}": vocab_size must be ${vocab} (the tokenizer's entries), got ` +
        `${config.vocabSize} (was it trained with another tokenizer?)`,
    );
  }
  const need = manifest.world.maxDocChars + 2;
  if (config.maxPositionEmbeddings < need) {
    throw new UserError(
      `${cannot} from "${configPath}": max_position_embeddings must be >= world.maxDocChars + 2 (${need}) ` +
        `to hold a document with BOS and EOS, got ${config.maxPositionEmbeddings}`,
    );
  }
  return { bytes, configJson, hashes, joined };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** One line for a checkpoint that does not load: the file at fault, without the loader's own prefix. */
function checkpointMessage(
  cannot: string,
  dir: string,
  message: string,
  weights: string = PROXY_FILES.weights,
): string {
  const configFault = /^Cannot (read config\.json|load checkpoint: config\.json)/.test(message);
  const file = join(dir, configFault ? PROXY_FILES.config : weights);
  const detail = message.replace(/^Cannot (read config\.json|load checkpoint|read safetensors): /, "");
  return `${cannot} from "${file}": ${detail}`;
}

/** Refuses a path that is missing, of the other kind (file or folder), or a symbolic link loop. */
async function expectKind(
  path: string,
  kind: "file" | "folder",
  cannot: string,
  setup: string,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(
        `${cannot}: "${path}" does not exist (train it with deno task train --setup ${setup}, or point ` +
          `setups.${setup}.checkpoint at a Hugging Face Llama folder)`,
      );
    }
    if (error instanceof Deno.errors.FilesystemLoop) {
      throw new UserError(`${cannot}: "${path}" is a symbolic link loop, expected a ${kind}`);
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UserError(`${cannot}: "${path}" lies under a file, expected a ${kind}`);
    }
    throw new UserError(`${cannot}: "${path}" cannot be read (${(error as Error).message})`);
  }
  const found = info.isDirectory ? "folder" : info.isFile ? "file" : "special file";
  if (found !== kind) {
    const expected = kind === "folder"
      ? `a folder holding ${PROXY_FILES.config} and ${PROXY_FILES.weights}`
      : `a file`;
    throw new UserError(`${cannot}: "${path}" is a ${found}, expected ${expected}`);
  }
}
