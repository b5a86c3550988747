import { join } from "node:path";
import { HF_TOKENIZER_FILES, runTokenizer } from "./run_tokenizer.ts";
import { readSafetensors, writeSafetensors } from "../../engine/io/mod.ts";
import type { StageDef } from "../run/stage.ts";
import { readWorldArtifact } from "./world_stage.ts";

/**
 * Stage `tokenize`: encodes every document as BOS + text + EOS and every query as BOS + prompt
 * (prompt ids) and completion + EOS (completion ids), with the run's tokenizer ({@linkcode runTokenizer}: the
 * committed character vocabulary, or the setups' Hugging Face tokenizer, whose BOS is its own
 * post-processor's).
 * Writes `documents.safetensors` (`tokens` I32 [total], `offsets` I32 [documents + 1]), the same for the
 * unscored rest of pretraining in `unscored.safetensors`,
 * `queries.safetensors` (`prompt_tokens`, `prompt_offsets`, `completion_tokens`, `completion_offsets`),
 * `ids.json` (`{documents, queries}` ids in row order) and `tokenizer.json` (the character vocabulary, or the
 * Hugging Face `tokenizer.json` verbatim, then with its `tokenizer_config.json` when there is one).
 */
export const tokenizeStage: StageDef = {
  name: "tokenize",
  version: 2,
  perSetup: false,
  deps: ["world"],
  settings: async (m) => (await runTokenizer(m)).settings,
  async run(ctx) {
    const run = await runTokenizer(ctx.manifest);
    const tok = run.tokenizer;
    const world = await readWorldArtifact(ctx.inputs.world.dir, { unscored: true });
    const docs = world.documents.map((d) => tok.encode(d.text, { bos: true, eos: true }));
    const [unscoredTokens, unscoredOffsets] = pack(
      world.unscoredDocuments.map((d) => tok.encode(d.text, { bos: true, eos: true })),
    );
    const prompts = world.queries.map((q) => tok.encode(q.prompt, { bos: true }));
    const completions = world.queries.map((q) => tok.encode(q.completion, { eos: true }));
    const [tokens, offsets] = pack(docs);
    const [promptTokens, promptOffsets] = pack(prompts);
    const [completionTokens, completionOffsets] = pack(completions);
    await Deno.writeFile(
      join(ctx.outDir, "documents.safetensors"),
      writeSafetensors({
        tokens: { dtype: "I32", shape: [tokens.length], data: tokens },
        offsets: { dtype: "I32", shape: [offsets.length], data: offsets },
      }),
    );
    await Deno.writeFile(
      join(ctx.outDir, "unscored.safetensors"),
      writeSafetensors({
        tokens: { dtype: "I32", shape: [unscoredTokens.length], data: unscoredTokens },
        offsets: { dtype: "I32", shape: [unscoredOffsets.length], data: unscoredOffsets },
      }),
    );
    await Deno.writeFile(
      join(ctx.outDir, "queries.safetensors"),
      writeSafetensors({
        prompt_tokens: { dtype: "I32", shape: [promptTokens.length], data: promptTokens },
        prompt_offsets: { dtype: "I32", shape: [promptOffsets.length], data: promptOffsets },
        completion_tokens: { dtype: "I32", shape: [completionTokens.length], data: completionTokens },
        completion_offsets: { dtype: "I32", shape: [completionOffsets.length], data: completionOffsets },
      }),
    );
    const ids = {
      documents: world.documents.map((d) => d.id),
      queries: world.queries.map((q) => q.id),
      unscored: world.unscoredDocuments.map((d) => d.id),
    };
    await Deno.writeTextFile(join(ctx.outDir, "ids.json"), JSON.stringify(ids) + "\n");
    if (run.dir === null) {
      await Deno.writeTextFile(
        join(ctx.outDir, "tokenizer.json"),
        JSON.stringify(run.settings.tokenizer, null, 1) + "\n",
      );
    } else {
      for (const name of Object.values(HF_TOKENIZER_FILES)) {
        const bytes = await Deno.readFile(join(run.dir, name)).catch(() => null);
        if (bytes !== null) await Deno.writeFile(join(ctx.outDir, name), bytes);
      }
    }
    return {
      ...(run.kind === "character" ? {} : { tokenizer: run.kind }),
      vocabSize: tok.vocabSize,
      documentTokens: tokens.length,
      unscoredTokens: unscoredTokens.length,
      longestDocument: Math.max(...docs.map((d) => d.length)),
      longestQuery: Math.max(...prompts.map((p, i) => p.length + completions[i].length)),
    };
  },
};

/**
 * Packs token rows into one array and the offsets of each row (row i is `tokens[offsets[i] … offsets[i+1])`).
 *
 * @param rows Token rows.
 * @returns `[tokens, offsets]`.
 */
export function pack(rows: readonly Int32Array[]): [Int32Array, Int32Array] {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const tokens = new Int32Array(offsets[rows.length]);
  rows.forEach((r, i) => tokens.set(r, offsets[i]));
  return [tokens, offsets];
}

/** Token ids of the documents and queries, as the tokenize stage wrote them. */
export interface TokenizedCorpus {
  /** Scored document ids, in corpus (column) order. */
  documentIds: string[];
  /** Query ids, in world order. */
  queryIds: string[];
  /** Document i is `tokens.subarray(offsets[i], offsets[i + 1])` (BOS ... EOS). */
  documents: { tokens: Int32Array; offsets: Int32Array };
  /** The unscored rest of pretraining, packed the same way (possibly no documents). */
  unscored: { tokens: Int32Array; offsets: Int32Array };
  /** Ids of the unscored documents, in row order. */
  unscoredIds: string[];
  /** Query i: prompt (BOS first) and completion (EOS last), concatenated when scored. */
  queries: {
    promptTokens: Int32Array;
    promptOffsets: Int32Array;
    completionTokens: Int32Array;
    completionOffsets: Int32Array;
  };
}

/**
 * Reads the tokenize stage's outputs back.
 *
 * @param dir The tokenize artifact folder.
 * @returns The token ids and ids in row order.
 */
export async function readTokenizedCorpus(dir: string): Promise<TokenizedCorpus> {
  const ints = (file: Awaited<ReturnType<typeof readSafetensors>>, name: string) => {
    const t = file.tensors.get(name);
    if (!t || t.dtype !== "I32") throw new Error(`${dir}: tensor "${name}" missing or not I32`);
    return t.data;
  };
  const docs = readSafetensors(await Deno.readFile(join(dir, "documents.safetensors")));
  const qs = readSafetensors(await Deno.readFile(join(dir, "queries.safetensors")));
  const unscored = readSafetensors(await Deno.readFile(join(dir, "unscored.safetensors")));
  const ids = JSON.parse(await Deno.readTextFile(join(dir, "ids.json")));
  return {
    documentIds: ids.documents,
    queryIds: ids.queries,
    documents: { tokens: ints(docs, "tokens"), offsets: ints(docs, "offsets") },
    unscored: { tokens: ints(unscored, "tokens"), offsets: ints(unscored, "offsets") },
    // Artifacts written before ids.json named the unscored documents: the world's own naming.
    unscoredIds: ids.unscored ?? unscoredNames(ints(unscored, "offsets").length - 1),
    queries: {
      promptTokens: ints(qs, "prompt_tokens"),
      promptOffsets: ints(qs, "prompt_offsets"),
      completionTokens: ints(qs, "completion_tokens"),
      completionOffsets: ints(qs, "completion_offsets"),
    },
  };
}

/** The world's ids of `count` unscored documents (`unscored-` and a zero-padded index). */
function unscoredNames(count: number): string[] {
  const width = Math.max(6, String(count - 1).length);
  return Array.from({ length: count }, (_, i) => `unscored-${String(i).padStart(width, "0")}`);
}
