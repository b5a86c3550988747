import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { loadCheckpoint, paramCount, saveCheckpoint } from "../../engine/model/mod.ts";
import { sha256Hex } from "../run/hash.ts";
import type { Progress } from "../run/progress.ts";
import type { StageDef } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import { checkpointDir, PROXY_FILES } from "../train/proxy_files.ts";
import { trainProxy } from "../train/train_proxy.ts";
import { readTokenizedCorpus } from "./tokenize_stage.ts";
import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";

/** What the model stage records about a setup's model. */
export interface ModelSummary {
  source: "checkpoint" | "trained";
  parameterCount: number;
  checkpointSha256: string;
  /** training.json of a checkpoint folder, when it has one (proxies trained by `deno task train`). */
  training: Record<string, unknown> | null;
}

/**
 * Stage `model` (per setup): the setup's weights, as `config.json` + `model.safetensors` (Hugging Face
 * Llama format). A setup that names a `checkpoint` folder loads and validates it (shapes against its
 * config.json, vocabulary against the tokenizer); otherwise the proxy is trained here from `model` and
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
    const vocab = (ctx.inputs.tokenize.meta.summary as { vocabSize: number }).vocabSize;
    const dir = checkpointDir(ctx.manifest, setup);
    let bytes: Uint8Array;
    let configJson: string;
    let training: Record<string, unknown> | null = null;
    if (dir !== null) {
      ({ bytes, configJson } = await readCheckpoint(dir, ctx.manifest, setup.name));
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
          vocabSize: vocab,
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
    if (loaded.config.vocabSize !== vocab) {
      throw new UserError(
        `Cannot use the model of setup ${setup.name} from "${dir}": its vocab_size is ${loaded.config.vocabSize}, ` +
          `the tokenizer has ${vocab} entries (was it trained with another tokenizer?)`,
      );
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
  bytes: Uint8Array;
  configJson: string;
  hashes: Record<string, string>;
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
  const bytes = await read(PROXY_FILES.weights);
  const hashes = {
    [PROXY_FILES.config]: await sha256Hex(configBytes),
    [PROXY_FILES.weights]: await sha256Hex(bytes),
  };
  const configJson = new TextDecoder().decode(configBytes);
  let config;
  try {
    config = loadCheckpoint(configJson, bytes).config;
  } catch (error) {
    throw new UserError(checkpointMessage(cannot, dir, (error as Error).message));
  }
  const configPath = join(dir, PROXY_FILES.config);
  const vocab = defaultTokenizer().vocabSize;
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
  return { bytes, configJson, hashes };
}

/** One line for a checkpoint that does not load: the file at fault, without the loader's own prefix. */
function checkpointMessage(cannot: string, dir: string, message: string): string {
  const configFault = /^Cannot (read config\.json|load checkpoint: config\.json)/.test(message);
  const file = join(dir, configFault ? PROXY_FILES.config : PROXY_FILES.weights);
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
