/**
 * Training throughput of `train()` on documents shaped like the default world's (lengths from a generated
 * world, tokenized as the harness does), with plain shuffled batches (the baseline) and with length
 * buckets (`training.lengthBuckets` 16), for both proxy configurations at batch 16. A bench iteration
 * trains 12 steps with its own data-order seed, so each draws other documents; throughput counts real
 * (non-padding) tokens. After the run a table is printed and written to `bench/out/train.json`.
 *
 * Run: `deno bench -A bench/train_bench.ts`.
 */
import { acquireDevice, type Gpu } from "../engine/mod.ts";
import { GpuLlama } from "../engine/llama/mod.ts";
import { initParams, type LlamaConfig, parseLlamaConfig } from "../engine/model/mod.ts";
import { train } from "../engine/train/mod.ts";
import { defaultTokenizer } from "../fixtures/tokenizer/mod.ts";
import { pack } from "../experiments/stages/tokenize_stage.ts";
import { generateWorld, queriesConfigSchema, worldConfigSchema } from "../fixtures/world/mod.ts";

const CONFIGS: { name: string; config: LlamaConfig }[] = [
  ["d64-i192-l2", 64, 192, 2],
  ["d128-i288-l3", 128, 288, 3],
].map(([name, hidden, intermediate, layers]) => ({
  name: name as string,
  config: parseLlamaConfig({
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    vocab_size: 100,
    max_position_embeddings: 320,
  }),
}));
const STEPS = 12, BATCH = 16;
const VARIANTS = [{ label: "plain batches", buckets: 1 }, { label: "length buckets 16", buckets: 16 }];

const world = generateWorld(worldConfigSchema.parse({ documents: 2000 }), queriesConfigSchema.parse({}));
const tokenizer = defaultTokenizer();
const [tokens, offsets] = pack(
  world.documents.map((d) => tokenizer.encode(d.text, { bos: true, eos: true })),
);
const corpus = { tokens, offsets };

interface Result {
  name: string;
  realTokens: number;
  seconds: number;
}
const totals = new Map<string, Result>();

let gpu: Gpu | null = null;
try {
  gpu = await acquireDevice();
} catch (error) {
  console.error(`No GPU benchmarks: ${(error as Error).message}`);
}

if (gpu !== null) {
  for (const { name, config } of CONFIGS) {
    const model = new GpuLlama(gpu, config, initParams(config, 0));
    for (const { label, buckets } of VARIANTS) {
      const benchName = `${name} ${label}`;
      let seed = 0;
      Deno.bench({
        name: benchName,
        group: name,
        baseline: buckets === 1,
        n: 3,
        warmup: 1,
        async fn(t) {
          const settings = {
            steps: STEPS,
            batchSize: BATCH,
            learningRate: 1e-3,
            minLearningRateRatio: 0.1,
            warmupSteps: 2,
            weightDecay: 0.01,
            beta1: 0.9,
            beta2: 0.95,
            gradClip: 1,
            checkpointEvery: 1000,
            seed: ++seed,
            lengthBuckets: buckets,
          };
          t.start();
          const start = performance.now();
          const record = await train(model, corpus, settings, { maxSeqLen: config.maxPositionEmbeddings });
          t.end();
          const entry = totals.get(benchName) ?? { name: benchName, realTokens: 0, seconds: 0 };
          entry.realTokens += record.tokensSeen;
          entry.seconds += (performance.now() - start) / 1e3;
          totals.set(benchName, entry);
        },
      });
    }
  }
}

globalThis.addEventListener("unload", () => {
  if (totals.size === 0) return;
  const rows = [...totals.values()].map((r) => ({
    name: r.name,
    realTokensPerSecond: Math.round(r.realTokens / r.seconds),
  }));
  console.log(`\nTraining throughput (batch ${BATCH}, real tokens/s, all iterations incl. warm-up):`);
  for (const r of rows) console.log(`  ${r.name.padEnd(32)} ${String(r.realTokensPerSecond).padStart(8)}`);
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/train.json", import.meta.url),
    JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        adapter: gpu?.adapterInfo ?? null,
        hardwareConcurrency: navigator.hardwareConcurrency,
        note: `train() for ${STEPS} steps of batch ${BATCH} per iteration on default-world documents; ` +
          "real (non-padding) tokens per second",
        results: rows,
      },
      null,
      2,
    ) + "\n",
  );
});
