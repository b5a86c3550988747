/**
 * Training throughput of `train()` for the next proxies' shapes (`experiments/procedural-knowledge-next.jsonc`:
 * 7B 3 layers × 64, MLP 192; 35B 4 layers × 128, MLP 384; 4 heads, length buckets 16) on documents of
 * that manifest's world (its `world` block with 60 facts, 2000 documents), tokenized as the
 * harness does with the manifest's tokenizer (characters and number tokens: vocabulary 1200), beside a
 * **baseline**: the engine as of commit {@linkcode BASELINE_REV} (or `TRAIN_BENCH_BASELINE=<rev>`),
 * extracted with `git archive` into a temporary folder and imported from there, timed in the same run on
 * its own device of the same adapter. A bench iteration trains `TRAIN_BENCH_STEPS` steps (default 4)
 * with its own data-order seed (both variants see the same seeds, so the same batches); throughput counts
 * real (non-padding) tokens. After one untimed warm-up iteration per variant (pipeline compilation),
 * `TRAIN_BENCH_ROUNDS` rounds (default 2) time the variants alternately, iteration by iteration, so that
 * both see the same machine load; the table gives each variant's throughput and the current/baseline
 * step-time ratio. The schedule runs once, on the bench's first call (`deno bench` calls it again to
 * calibrate: those calls return at once, so its own table row means nothing).
 *
 * Both variants start from the same initial parameters and train in place, so after the run their loss
 * curves are compared bit for bit, iteration by iteration (the table says `bit-identical`, or names the
 * first difference and the largest relative difference of any point: kernels that sum in another order
 * change the last bits, and those differences grow over the steps). After the run a table is printed and
 * written to `bench/out/train.json`.
 *
 * Run: `deno bench -A bench/train_bench.ts` (batch sizes: `TRAIN_BENCH_BATCHES=16,32,64`, default 32;
 * shapes: `TRAIN_BENCH_SHAPES=7B,35B`, default both; `TRAIN_BENCH_BASELINE=none` skips the baseline).
 */
import { parse as parseJsonc } from "jsonc-parser";
import * as engine from "../engine/mod.ts";
import * as llama from "../engine/llama/mod.ts";
import { initParams, type LlamaConfig, parseLlamaConfig } from "../engine/model/mod.ts";
import * as trainer from "../engine/train/mod.ts";
import { characterVocab, loadTokenizer } from "../fixtures/tokenizer/mod.ts";
import { pack } from "../experiments/stages/tokenize_stage.ts";
import { generateWorld, queriesConfigSchema, worldConfigSchema } from "../fixtures/world/mod.ts";

/** The engine before this round of training-throughput work (the baseline's commit). */
const BASELINE_REV = "5f10ca576c2115c195e9030e07e35322117851e3";

const manifest = parseJsonc(
  Deno.readTextFileSync(new URL("../experiments/procedural-knowledge-next.jsonc", import.meta.url)),
);
const tokenizer = loadTokenizer(characterVocab(manifest.tokenizer?.numberChunks));

const SHAPES = (Deno.env.get("TRAIN_BENCH_SHAPES") ?? "7B,35B").split(",");
const CONFIGS: { name: string; config: LlamaConfig }[] = ([
  ["7B", "7B-next l3-d64-i192", 64, 192, 3],
  ["35B", "35B-next l4-d128-i384", 128, 384, 4],
] as const).filter(([shape]) => SHAPES.includes(shape)).map(([, name, hidden, intermediate, layers]) => ({
  name,
  config: parseLlamaConfig({
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    vocab_size: tokenizer.vocabSize,
    max_position_embeddings: 320,
  }),
}));
const STEPS = Number(Deno.env.get("TRAIN_BENCH_STEPS") ?? "4");
const ROUNDS = Number(Deno.env.get("TRAIN_BENCH_ROUNDS") ?? "2");
const BUCKETS = 16;
const BATCHES = (Deno.env.get("TRAIN_BENCH_BATCHES") ?? "32").split(",").map(Number);
const baselineRev = Deno.env.get("TRAIN_BENCH_BASELINE") ?? BASELINE_REV;

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

/** Each variant's device (one per engine copy), in the order of `variants`. */
// deno-lint-ignore no-explicit-any
const devices: any[] = [];
let adapter: unknown = null;
for (const variant of variants) {
  try {
    const gpu = await variant.modules.acquireDevice();
    devices.push(gpu);
    adapter = gpu.adapterInfo;
  } catch (error) {
    console.error(`No GPU benchmarks: ${(error as Error).message}`);
    break;
  }
}

/** Each variant's loss curves, one per iteration (warm-ups included), in run order. */
const curves = new Map<string, Float32Array[]>(variants.map((v) => [v.label, []]));

/** Trains one iteration of a variant's model and records its time (unless a warm-up) and loss curve. */
async function iteration(
  variant: { label: string; modules: EngineModules },
  // deno-lint-ignore no-explicit-any
  model: any,
  config: LlamaConfig,
  batchSize: number,
  seed: number,
  benchName: string | null,
): Promise<void> {
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
    seed,
    lengthBuckets: BUCKETS,
  };
  const start = performance.now();
  const record = await variant.modules.train(model, corpus, settings, {
    maxSeqLen: config.maxPositionEmbeddings,
  });
  const seconds = (performance.now() - start) / 1e3;
  const key = benchName ?? `${variant.label} warm-up`;
  const entry = totals.get(key) ?? { name: key, realTokens: 0, seconds: 0 };
  if (benchName !== null) {
    entry.realTokens += record.tokensSeen;
    entry.seconds += seconds;
  }
  curves.get(variant.label)!.push(Float32Array.from(record.lossCurve.map((p) => p.loss)));
  totals.set(key, entry);
}

/** Whether the schedule ran: `deno bench` may call a bench more than once (calibration). */
let ran = false;
if (devices.length === variants.length) {
  Deno.bench({
    name: `train ${CONFIGS.map((c) => c.name).join(", ")}: variants alternating`,
    n: 1,
    warmup: 0,
    async fn() {
      if (ran) return;
      ran = true;
      for (const { name, config } of CONFIGS) {
        for (const batchSize of BATCHES) {
          const group = `${name} batch ${batchSize}`;
          const models = variants.map((v, i) =>
            new v.modules.GpuLlama(devices[i], config, initParams(config, 0))
          );
          let seed = 0;
          // Untimed warm-up (pipeline compilation), then the variants alternate iteration by iteration,
          // each iteration with the next data-order seed for both.
          for (let round = 0; round <= ROUNDS; round++) {
            seed++;
            for (const [i, variant] of variants.entries()) {
              await iteration(
                variant,
                models[i],
                config,
                batchSize,
                seed,
                round === 0 ? null : `${group} ${variant.label}`,
              );
            }
          }
          for (const model of models) model.destroy();
        }
      }
    },
  });
}

/** "bit-identical", or where the loss curves of the two variants first differ (all shapes in run order). */
function compareCurves(): string {
  const lists = [...curves.values()];
  if (lists.length < 2) return "";
  const [a, b] = lists;
  if (a.length !== b.length || a.length === 0) {
    return `not comparable: ${a.length} and ${b.length} iterations ran (a variant failed?)`;
  }
  let first = "", largest = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i], y = b[i];
    for (let s = 0; s < x.length; s++) {
      if (Object.is(x[s], y[s])) continue;
      first ||= `iteration ${i}, point ${s}: ${x[s]} vs ${y[s]}`;
      largest = Math.max(largest, Math.abs(x[s] - y[s]) / Math.abs(x[s]));
    }
  }
  return first
    ? `differs (first at ${first}; largest relative difference ${largest.toExponential(2)})`
    : `loss curves bit-identical (${a.length} iterations of ${STEPS} steps)`;
}

globalThis.addEventListener("unload", () => {
  if (totals.size === 0) return;
  const rows = [...totals.values()].filter((r) => r.seconds > 0).map((r) => ({
    name: r.name,
    realTokensPerSecond: Math.round(r.realTokens / r.seconds),
    secondsPerStep: r.seconds / (ROUNDS * STEPS),
  }));
  console.log(
    `\nTraining throughput (${STEPS} steps per iteration, ${ROUNDS} alternating rounds, real tokens/s):`,
  );
  for (const r of rows) console.log(`  ${r.name.padEnd(48)} ${String(r.realTokensPerSecond).padStart(8)}`);
  const groups = CONFIGS.flatMap(({ name }) => BATCHES.map((b) => `${name} batch ${b}`));
  const ratios = Object.fromEntries(groups.flatMap((g) => {
    const [base, current] = variants.map((v) => totals.get(`${g} ${v.label}`));
    return base && current && base !== current ? [[g, current.seconds / base.seconds]] : [];
  }));
  for (const [g, ratio] of Object.entries(ratios)) {
    console.log(`  ${g}: step time current / baseline ${ratio.toFixed(3)}`);
  }
  const identity = compareCurves();
  if (identity) console.log(`  ${identity}`);
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/train.json", import.meta.url),
    JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        adapter,
        hardwareConcurrency: navigator.hardwareConcurrency,
        note:
          `train() for ${STEPS} steps per iteration, ${ROUNDS} alternating rounds, length buckets ${BUCKETS}, ` +
          `vocabulary ${tokenizer.vocabSize}, on documents of the next manifest's world; real (non-padding) ` +
          `tokens per second; baseline ${baselineRev}`,
        results: rows,
        stepTimeRatios: ratios,
        identity,
      },
      null,
      2,
    ) + "\n",
  );
});
