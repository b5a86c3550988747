/**
 * Training throughput of `train()` for the next proxies' shapes (`experiments/procedural-knowledge-next.jsonc`:
 * 7B 3 layers × 64, MLP 192; 35B 4 layers × 128, MLP 384; 4 heads, vocabulary 100, length buckets 16) on
 * documents of that manifest's world (its `world` block with the default facts, 2000 documents, ~146 tokens
 * on average and 258 at most, tokenized as the harness does),
 * beside a **baseline**: the engine as of commit {@linkcode BASELINE_REV} (or `TRAIN_BENCH_BASELINE=<rev>`),
 * extracted with `git archive` into a temporary folder and imported from there, timed in the same run on
 * its own device of the same adapter. A bench iteration trains `STEPS` steps with its own data-order seed
 * (both variants see the same seeds, so the same batches); throughput counts real (non-padding) tokens.
 *
 * Both variants start from the same initial parameters and train in place, so after the run their loss
 * curves are compared bit for bit, iteration by iteration (the table says `bit-identical`, or names the
 * first difference and the largest relative difference of any point: kernels that sum in another order
 * change the last bits, and those differences grow over the steps). After the run a table is printed and written to `bench/out/train.json`.
 *
 * Run: `deno bench -A bench/train_bench.ts` (batch sizes: `TRAIN_BENCH_BATCHES=16,32,64`, default 32;
 * `TRAIN_BENCH_BASELINE=none` skips the baseline).
 */
import { parse as parseJsonc } from "jsonc-parser";
import * as engine from "../engine/mod.ts";
import * as llama from "../engine/llama/mod.ts";
import { initParams, type LlamaConfig, parseLlamaConfig } from "../engine/model/mod.ts";
import * as trainer from "../engine/train/mod.ts";
import { defaultTokenizer } from "../fixtures/tokenizer/mod.ts";
import { pack } from "../experiments/stages/tokenize_stage.ts";
import { generateWorld, queriesConfigSchema, worldConfigSchema } from "../fixtures/world/mod.ts";

/** The engine before this round of training-throughput work (the baseline's commit). */
const BASELINE_REV = "7b8cf26f34c5a47127fda2614655af182b8e0772";

const CONFIGS: { name: string; config: LlamaConfig }[] = [
  ["7B-next l3-d64-i192", 64, 192, 3],
  ["35B-next l4-d128-i384", 128, 384, 4],
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
const STEPS = 8, BUCKETS = 16;
const BATCHES = (Deno.env.get("TRAIN_BENCH_BATCHES") ?? "32").split(",").map(Number);
const baselineRev = Deno.env.get("TRAIN_BENCH_BASELINE") ?? BASELINE_REV;

const manifest = parseJsonc(
  Deno.readTextFileSync(new URL("../experiments/procedural-knowledge-next.jsonc", import.meta.url)),
);
// The manifest's world (stream layout, affinities, drills) at 2000 documents. Its fact plan needs the
// unscored stream's documents, so 60 facts with the default mention counts stand in (the slots left beside
// its procedures and drill sheets hold them).
const { facts: _facts, ...worldBlock } = manifest.world;
const world = generateWorld(
  worldConfigSchema.parse({
    ...worldBlock,
    documents: 2000,
    facts: { count: 60 },
    unscored: { documents: 0 },
  }),
  queriesConfigSchema.parse({}),
);
const tokenizer = defaultTokenizer();
const [tokens, offsets] = pack(
  world.documents.map((d) => tokenizer.encode(d.text, { bos: true, eos: true })),
);
const corpus = { tokens, offsets };

/** What a variant needs from an engine checkout. */
interface EngineModules {
  acquireDevice: typeof engine.acquireDevice;
  GpuLlama: typeof llama.GpuLlama;
  train: typeof trainer.train;
}

/** The baseline engine, extracted from git into a temporary folder. */
async function baselineEngine(rev: string): Promise<EngineModules> {
  const dir = await Deno.makeTempDir({ prefix: "train-bench-baseline-" });
  const root = new URL("..", import.meta.url).pathname;
  const archive = new Deno.Command("sh", {
    args: ["-c", `git -C "${root}" archive "${rev}" engine | tar -x -C "${dir}"`],
  });
  const { code, stderr } = await archive.output();
  if (code !== 0) throw new Error(`Cannot extract the baseline ${rev}: ${new TextDecoder().decode(stderr)}`);
  const [e, l, t] = await Promise.all([
    import(`file://${dir}/engine/mod.ts`),
    import(`file://${dir}/engine/llama/mod.ts`),
    import(`file://${dir}/engine/train/mod.ts`),
  ]);
  return { acquireDevice: e.acquireDevice, GpuLlama: l.GpuLlama, train: t.train };
}

interface Result {
  name: string;
  realTokens: number;
  seconds: number;
  curves: Float32Array[];
}
const totals = new Map<string, Result>();

const variants: { label: string; modules: EngineModules }[] = [];
if (baselineRev !== "none") {
  variants.push({ label: `baseline ${baselineRev.slice(0, 7)}`, modules: await baselineEngine(baselineRev) });
}
variants.push({
  label: "current",
  modules: { acquireDevice: engine.acquireDevice, GpuLlama: llama.GpuLlama, train: trainer.train },
});

let adapter: unknown = null;
for (const variant of variants) {
  // deno-lint-ignore no-explicit-any
  let gpu: any = null;
  try {
    gpu = await variant.modules.acquireDevice();
    adapter = gpu.adapterInfo;
  } catch (error) {
    console.error(`No GPU benchmarks: ${(error as Error).message}`);
    break;
  }
  for (const { name, config } of CONFIGS) {
    for (const batchSize of BATCHES) {
      const group = `${name} batch ${batchSize}`;
      const model = new variant.modules.GpuLlama(gpu, config, initParams(config, 0));
      const benchName = `${group} ${variant.label}`;
      let seed = 0;
      Deno.bench({
        name: benchName,
        group,
        baseline: variant.label !== "current",
        n: 2,
        warmup: 1,
        async fn(t) {
          const settings = {
            steps: STEPS,
            batchSize,
            learningRate: 1e-3,
            minLearningRateRatio: 0.1,
            warmupSteps: 2,
            weightDecay: 0.01,
            beta1: 0.9,
            beta2: 0.95,
            gradClip: 1,
            checkpointEvery: 1000,
            seed: ++seed,
            lengthBuckets: BUCKETS,
          };
          t.start();
          const start = performance.now();
          const record = await variant.modules.train(model, corpus, settings, {
            maxSeqLen: config.maxPositionEmbeddings,
          });
          t.end();
          const entry = totals.get(benchName) ?? { name: benchName, realTokens: 0, seconds: 0, curves: [] };
          entry.realTokens += record.tokensSeen;
          entry.seconds += (performance.now() - start) / 1e3;
          entry.curves.push(Float32Array.from(record.lossCurve.map((p) => p.loss)));
          totals.set(benchName, entry);
        },
      });
    }
  }
}

/** "bit-identical", or where the loss curves of the variants first differ. */
function compareCurves(group: string): string {
  const results = [...totals.values()].filter((r) => r.name.startsWith(`${group} `));
  if (results.length < 2) return "";
  const [a, b] = results;
  let first = "", largest = 0;
  for (let i = 0; i < Math.min(a.curves.length, b.curves.length); i++) {
    const x = a.curves[i], y = b.curves[i];
    for (let s = 0; s < x.length; s++) {
      if (Object.is(x[s], y[s])) continue;
      first ||= `iteration ${i}, point ${s}: ${x[s]} vs ${y[s]}`;
      largest = Math.max(largest, Math.abs(x[s] - y[s]) / Math.abs(x[s]));
    }
  }
  return first
    ? `differs (first at ${first}; largest relative difference ${largest.toExponential(2)})`
    : "loss curves bit-identical";
}

globalThis.addEventListener("unload", () => {
  if (totals.size === 0) return;
  const rows = [...totals.values()].map((r) => ({
    name: r.name,
    realTokensPerSecond: Math.round(r.realTokens / r.seconds),
  }));
  console.log(`\nTraining throughput (${STEPS} steps per iteration, real tokens/s, incl. warm-up):`);
  for (const r of rows) console.log(`  ${r.name.padEnd(48)} ${String(r.realTokensPerSecond).padStart(8)}`);
  const groups = CONFIGS.flatMap(({ name }) => BATCHES.map((b) => `${name} batch ${b}`));
  const identity = Object.fromEntries(groups.map((g) => [g, compareCurves(g)]));
  for (const [g, verdict] of Object.entries(identity)) if (verdict) console.log(`  ${g}: ${verdict}`);
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/train.json", import.meta.url),
    JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        adapter,
        hardwareConcurrency: navigator.hardwareConcurrency,
        note: `train() for ${STEPS} steps per iteration, length buckets ${BUCKETS}, on documents of the ` +
          `next manifest's world; real (non-padding) tokens per second; baseline ${baselineRev}`,
        results: rows,
        identity,
      },
      null,
      2,
    ) + "\n",
  );
});
