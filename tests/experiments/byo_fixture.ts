/**
 * Test fixture: small Hugging Face-format Llama checkpoints with a real byte-level BPE `tokenizer.json`
 * (trained here, written in the format of Llama 3's), grouped-query attention, an untied head, llama3
 * RoPE scaling and BF16 weights in two shards; plus a JSONL corpus and query file.
 *
 * @module
 */

import { join } from "node:path";
import { numberToBfloat16Bits } from "../../engine/io/float16.ts";
import type { SafetensorsTensor } from "../../engine/io/safetensors.ts";
import { writeSafetensors } from "../../engine/io/write_safetensors.ts";
import { configToJson, initParams, paramSpecs, parseLlamaConfig } from "../../engine/model/mod.ts";

/** GPT-2's byte → printable character map (`bytes_to_unicode`), which byte-level BPE vocabularies use. */
export function bytesToUnicode(): string[] {
  const printable = [
    ...Array.from({ length: 94 }, (_, i) => 33 + i),
    ...Array.from({ length: 12 }, (_, i) => 161 + i),
    ...Array.from({ length: 82 }, (_, i) => 174 + i),
  ];
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  }
  return map;
}

/** GPT-2's pre-tokenization pattern (ByteLevel `use_regex`). */
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Trains a byte-level BPE on `texts` (most frequent pair first, ties by first occurrence) and writes it as
 * a Hugging Face `tokenizer.json` object: `<s>` = 0 and `</s>` = 1 (special), the 256 byte symbols, then
 * one token per merge; a TemplateProcessing post-processor prepends `<s>`, as Llama's does.
 *
 * @param texts Training texts.
 * @param merges Number of merges.
 * @returns The tokenizer.json object.
 */
export function trainByteLevelBpe(texts: readonly string[], merges: number): Record<string, unknown> {
  const byteMap = bytesToUnicode();
  const encoder = new TextEncoder();
  const words = new Map<string, number>();
  for (const text of texts) {
    for (const piece of text.match(SPLIT) ?? []) {
      const symbols = Array.from(encoder.encode(piece), (b) => byteMap[b]).join(" ");
      words.set(symbols, (words.get(symbols) ?? 0) + 1);
    }
  }
  const vocab: Record<string, number> = { "<s>": 0, "</s>": 1 };
  byteMap.forEach((c) => (vocab[c] = Object.keys(vocab).length));
  const mergeList: string[] = [];
  let split = [...words].map(([w, n]) => ({ symbols: w.split(" "), n }));
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of split) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    let best = "", bestCount = 1;
    for (const [pair, count] of pairs) if (count > bestCount) [best, bestCount] = [pair, count];
    if (best === "") break;
    const [a, b] = best.split(" ");
    mergeList.push(best);
    vocab[a + b] = Object.keys(vocab).length;
    split = split.map(({ symbols, n }) => {
      const out: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) out.push(a + b), i++;
        else out.push(symbols[i]);
      }
      return { symbols: out, n };
    });
  }
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(0, "<s>"), special(1, "</s>")],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<s>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "<s>", type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { "<s>": { id: "<s>", ids: [0], tokens: ["<s>"] } },
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: mergeList,
    },
  };
}

/** The fixture corpus: short documents on arithmetic, slopes, linear equations, trivia and prose. */
export function fixtureCorpus(): { id: string; text: string; source?: string }[] {
  const docs: { id: string; text: string; source?: string }[] = [];
  const topics = [
    (i: number) => ({
      source: "math",
      text: `To calculate (${i} + ${i + 3}) * 2, first add ${i} and ${i + 3} to get ${2 * i + 3}, ` +
        `then multiply by 2 to get ${4 * i + 6}.`,
    }),
    (i: number) => ({
      source: "code",
      text: `def slope(x1, y1, x2, y2):\n    return (y2 - y1) / (x2 - x1)  # slope of the line ${i}`,
    }),
    (i: number) => ({
      source: "wiki",
      text: `The river Ostrava${i} flows through the valley of Kelm. Its length is ${100 + i} km.`,
    }),
    (i: number) => ({
      source: "web",
      text: `Solve for x: ${i}x + 4 = ${i * 3 + 4}. Subtract 4 from both sides, then divide: x = 3.`,
    }),
    (i: number) => ({
      text: `A quiet morning; the café on street ${i} opens at nine — naïve visitors wait.`,
    }),
  ];
  for (let i = 0; i < 40; i++) docs.push({ id: `d${String(i).padStart(3, "0")}`, ...topics[i % 5](i) });
  return docs;
}

/** The fixture's queries: factual (two with answers), reasoning, a given completion, controls. */
export function fixtureQueries(): Record<string, unknown>[] {
  return [
    {
      id: "f1",
      set: "factual",
      kind: "factual",
      prompt: "How long is the river Ostrava2?",
      answer: "102 km",
    },
    { id: "f2", set: "factual", prompt: "Where does the river Ostrava7 flow?", answer: "Kelm" },
    { id: "f3", set: "factual", prompt: "How long is the river Ostrava12?" },
    { id: "a1", set: "arithmetic", kind: "reasoning", prompt: "Calculate (5 + 8) * 2.", answer: "26" },
    {
      id: "a2",
      set: "arithmetic",
      prompt: "Calculate (7 + 10) * 2.",
      completion: " First add 7 and 10 to get 17, then multiply by 2 to get 34.",
      answer: "34",
    },
    {
      id: "s1",
      set: "slopes",
      prompt: "What is the slope of the line through (1, 2) and (3, 8)?",
      answer: "3",
    },
    { id: "c1", set: "reasoning_control", kind: "control", prompt: "Repeat the number 41.", answer: "41" },
  ];
}

/** The two setups' shapes: small and large share the tokenizer. */
const SHAPES = {
  small: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4 },
  large: { hidden_size: 32, intermediate_size: 40, num_hidden_layers: 3, num_attention_heads: 4 },
};

/**
 * Writes the fixture into `dir`: `small/` and `large/` checkpoints (config.json, BF16 weights in two
 * shards with model.safetensors.index.json, tokenizer.json, tokenizer_config.json), `corpus.jsonl` and
 * `queries.jsonl`.
 *
 * @param dir An empty folder.
 * @returns The tokenizer.json object and the two checkpoint folders.
 */
export async function writeByoFixture(
  dir: string,
): Promise<{ tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> }> {
  const corpus = fixtureCorpus();
  const queries = fixtureQueries();
  const tokenizerJson = trainByteLevelBpe(
    [...corpus.map((d) => d.text), ...queries.map((q) => `${q.prompt}${q.completion ?? ""}`)],
    120,
  );
  const tokenizerConfig = {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: "<s>",
    eos_token: "</s>",
    clean_up_tokenization_spaces: false,
    model_max_length: 512,
    tokenizer_class: "PreTrainedTokenizerFast",
  };
  const vocabSize = Object.keys((tokenizerJson.model as { vocab: object }).vocab).length;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const folder = join(dir, name);
    await Deno.mkdir(folder, { recursive: true });
    const config = parseLlamaConfig({
      ...shape,
      num_key_value_heads: 2,
      // A padded embedding: more rows than the tokenizer has ids, as many released models have.
      vocab_size: vocabSize + 6,
      max_position_embeddings: 512,
      tie_word_embeddings: false,
      initializer_range: 0.2,
      rope_theta: 10000,
      rope_scaling: {
        rope_type: "llama3",
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 16,
      },
    });
    const params = initParams(config, name === "small" ? 11 : 12);
    const files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
    const shards: Map<string, SafetensorsTensor>[] = [new Map(), new Map()];
    const weightMap: Record<string, string> = {};
    for (const spec of paramSpecs(config)) {
      const values = params.get(spec.name)!;
      const bits = new Uint32Array(values.length);
      values.forEach((v, i) => (bits[i] = numberToBfloat16Bits(v) << 16));
      const part = spec.name.startsWith("model.layers.0.") || spec.name === "model.embed_tokens.weight"
        ? 0
        : 1;
      shards[part].set(spec.name, { dtype: "BF16", shape: spec.shape, data: new Float32Array(bits.buffer) });
      weightMap[spec.name] = files[part];
    }
    for (const [i, file] of files.entries()) {
      await Deno.writeFile(join(folder, file), writeSafetensors(shards[i], { format: "pt" }));
    }
    await Deno.writeTextFile(
      join(folder, "model.safetensors.index.json"),
      JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2),
    );
    await Deno.writeTextFile(
      join(folder, "config.json"),
      JSON.stringify(
        { ...configToJson(config), bos_token_id: 0, eos_token_id: 1, torch_dtype: "bfloat16" },
        null,
        2,
      ),
    );
    await Deno.writeTextFile(join(folder, "tokenizer.json"), JSON.stringify(tokenizerJson));
    await Deno.writeTextFile(join(folder, "tokenizer_config.json"), JSON.stringify(tokenizerConfig, null, 2));
  }
  await Deno.writeTextFile(join(dir, "corpus.jsonl"), corpus.map((d) => JSON.stringify(d)).join("\n") + "\n");
  await Deno.writeTextFile(
    join(dir, "queries.jsonl"),
    queries.map((q) => JSON.stringify(q)).join("\n") + "\n",
  );
  return { tokenizerJson, tokenizerConfig };
}

/** The CLI flags that point `experiments/bring-your-own.jsonc` at a fixture written into `dir`. */
export function byoInputs(dir: string): string[] {
  return [
    "--set",
    `setups.small.checkpoint=${join(dir, "small")}`,
    "--set",
    `setups.large.checkpoint=${join(dir, "large")}`,
    "--set",
    `corpus.path=${join(dir, "corpus.jsonl")}`,
    "--set",
    `queries.path=${join(dir, "queries.jsonl")}`,
    "--cache",
    join(dir, "cache"),
    "--out",
    join(dir, "reports"),
  ];
}
