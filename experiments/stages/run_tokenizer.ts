import { join } from "node:path";
import {
  characterVocab,
  HfTokenizer,
  loadTokenizer,
  type TextTokenizer,
} from "../../fixtures/tokenizer/mod.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";
import { sha256Hex } from "../run/hash.ts";
import { UserError } from "../run/user_error.ts";
import { checkpointDir, PROXY_FILES } from "../train/proxy_files.ts";

/** Files of a Hugging Face tokenizer beside a checkpoint. */
export const HF_TOKENIZER_FILES = { tokenizer: "tokenizer.json", config: "tokenizer_config.json" } as const;

/** The tokenizer a run encodes its documents and queries with, and what identifies it. */
export interface RunTokenizer {
  /** `character`: the project's own vocabulary (the synthetic world's proxies); `huggingface`: a checkpoint's. */
  kind: "character" | "huggingface";
  tokenizer: TextTokenizer;
  /** The tokenize stage's settings: the character vocabulary, or the HF files' sha256 and special ids. */
  settings: Record<string, unknown>;
  /** For `huggingface`: the folder its files are read from. */
  dir: string | null;
}

const cache = new WeakMap<ResolvedManifest, Promise<RunTokenizer>>();

/**
 * The run's tokenizer. When the setups' checkpoint folders hold a Hugging Face `tokenizer.json`, that one
 * (every setup must name a checkpoint with the same `tokenizer.json` and `tokenizer_config.json`, since
 * documents are tokenized once for all setups); otherwise the project's character tokenizer.
 *
 * @param manifest The resolved manifest.
 * @returns The tokenizer (read once per manifest).
 * @throws {UserError} When some setups carry a tokenizer and others not, or their tokenizers differ, or
 * a tokenizer file does not load; one line naming the file.
 */
export function runTokenizer(manifest: ResolvedManifest): Promise<RunTokenizer> {
  let found = cache.get(manifest);
  if (found === undefined) {
    found = resolve(manifest);
    cache.set(manifest, found);
  }
  return found;
}

async function resolve(manifest: ResolvedManifest): Promise<RunTokenizer> {
  const folders = manifest.setups.map((s) => ({ setup: s.name, dir: checkpointDir(manifest, s) }));
  const withTokenizer: { setup: string; dir: string }[] = [];
  for (const f of folders) {
    if (f.dir !== null && await isFile(join(f.dir, HF_TOKENIZER_FILES.tokenizer))) {
      withTokenizer.push({ setup: f.setup, dir: f.dir });
    }
  }
  if (withTokenizer.length === 0) {
    // The vocabulary file itself is the setting: a manifest without number tokens keeps its digest.
    const vocab = characterVocab(manifest.tokenizer?.numberChunks);
    return { kind: "character", tokenizer: loadTokenizer(vocab), settings: { tokenizer: vocab }, dir: null };
  }
  const first = withTokenizer[0];
  if (manifest.tokenizer !== undefined) {
    throw new UserError(
      `Cannot tokenize: the manifest sets "tokenizer" (the proxies' character tokenizer) but setup ` +
        `${first.setup}'s checkpoint brings its own "${join(first.dir, HF_TOKENIZER_FILES.tokenizer)}"; ` +
        `remove the manifest's "tokenizer" block`,
    );
  }
  const lacking = folders.find((f) => !withTokenizer.some((w) => w.setup === f.setup));
  if (lacking !== undefined) {
    throw new UserError(
      `Cannot tokenize: setup ${first.setup}'s checkpoint has "${
        join(first.dir, HF_TOKENIZER_FILES.tokenizer)
      }" ` +
        `but setup ${lacking.setup} ${
          lacking.dir === null
            ? "names no checkpoint"
            : `has no ${HF_TOKENIZER_FILES.tokenizer} in "${lacking.dir}"`
        }; every setup must use the same tokenizer`,
    );
  }
  const hashes = async (dir: string): Promise<Record<string, string | null>> => ({
    [HF_TOKENIZER_FILES.tokenizer]: await sha256Hex(
      await Deno.readFile(join(dir, HF_TOKENIZER_FILES.tokenizer)),
    ),
    [HF_TOKENIZER_FILES.config]: await Deno.readFile(join(dir, HF_TOKENIZER_FILES.config)).then(
      sha256Hex,
      () => null,
    ),
  });
  const files = await hashes(first.dir);
  for (const other of withTokenizer.slice(1)) {
    const theirs = await hashes(other.dir);
    for (const name of Object.keys(files)) {
      if (theirs[name] !== files[name]) {
        throw new UserError(
          `Cannot tokenize: "${join(other.dir, name)}" (setup ${other.setup}) differs from "${
            join(first.dir, name)
          }" (setup ${first.setup}); every setup must use the same tokenizer`,
        );
      }
    }
  }
  const tokenizerPath = join(first.dir, HF_TOKENIZER_FILES.tokenizer);
  const readJson = async (path: string, optional: boolean) => {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (optional && error instanceof Deno.errors.NotFound) return {};
      throw new UserError(`Cannot load tokenizer "${path}": ${(error as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new UserError(`Cannot load tokenizer "${path}": not valid JSON (${(error as Error).message})`);
    }
  };
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new HfTokenizer(
      await readJson(tokenizerPath, false),
      await readJson(join(first.dir, HF_TOKENIZER_FILES.config), true),
      await readJson(join(first.dir, PROXY_FILES.config), true),
      tokenizerPath,
    );
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError((error as Error).message);
  }
  return {
    kind: "huggingface",
    tokenizer,
    settings: {
      tokenizer: { kind: "huggingface", files, bos: tokenizer.special.bos, eos: tokenizer.special.eos },
    },
    dir: first.dir,
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
