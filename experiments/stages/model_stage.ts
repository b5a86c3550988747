import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { loadCheckpoint, paramCount, saveCheckpoint } from "../../engine/model/mod.ts";
import { sha256Hex } from "../run/hash.ts";
import type { StageDef } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import { checkpointDir, PROXY_FILES } from "../train/proxy_files.ts";
import { trainProxy } from "../train/train_proxy.ts";
import { readTokenizedCorpus } from "./tokenize_stage.ts";

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
    return { source: "checkpoint", files: await checkpointHashes(dir, setup!.name) };
  },
  async run(ctx) {
    const setup = ctx.setup!;
    const vocab = (ctx.inputs.tokenize.meta.summary as { vocabSize: number }).vocabSize;
    const dir = checkpointDir(ctx.manifest, setup);
    let bytes: Uint8Array;
    let configJson: string;
    let training: Record<string, unknown> | null = null;
    if (dir !== null) {
      ({ bytes, configJson, training } = await readCheckpointFolder(dir, setup.name));
    } else {
      const gpu = await acquireDevice();
      try {
        const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
        const trained = await trainProxy({
          gpu,
          setup,
          corpus,
          vocabSize: vocab,
          maxDocChars: ctx.manifest.world.maxDocChars,
          statePath: join(ctx.workDir, PROXY_FILES.state),
          onProgress: (p) => ctx.log(`step ${p.step}/${p.steps} loss ${p.meanLoss.toFixed(4)}`),
        });
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

async function checkpointHashes(dir: string, setup: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of [PROXY_FILES.config, PROXY_FILES.weights]) {
    const path = join(dir, name);
    try {
      out[name] = await sha256Hex(await Deno.readFile(path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new UserError(
        `Cannot load the model of setup ${setup}: "${path}" does not exist (train it with ` +
          `deno task train --setup ${setup}, or point setups.${setup}.checkpoint at a Hugging Face Llama folder)`,
      );
    }
  }
  return out;
}

async function readCheckpointFolder(
  dir: string,
  setup: string,
): Promise<{ bytes: Uint8Array; configJson: string; training: Record<string, unknown> | null }> {
  await checkpointHashes(dir, setup);
  const bytes = await Deno.readFile(join(dir, PROXY_FILES.weights));
  const configJson = await Deno.readTextFile(join(dir, PROXY_FILES.config));
  const training = await Deno.readTextFile(join(dir, PROXY_FILES.record)).then(
    (t) => JSON.parse(t) as Record<string, unknown>,
    () => null,
  );
  return { bytes, configJson, training };
}
