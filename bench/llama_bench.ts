/**
 * Training-step throughput of `GpuLlama.lossAndGrad()` (forward, cross-entropy, backward, all weight
 * gradients) at batch 16 × seqLen 256 for two proxy configurations, beside the plain-TypeScript f64
 * reference step (`llamaLossAndGradients`), which is timed on 1 × 256 tokens (the same sequence
 * length, so attention costs the same per token) and reported per token.
 *
 * Each GPU iteration records one step and waits for it (`Gpu.sync()`), so a timing includes one
 * ~10 ms completion round trip. After the run a table (tokens/s, dispatches per step) is printed and
 * written to `bench/out/llama.json` with the adapter identity.
 *
 * Run: `deno bench -A bench/llama_bench.ts`.
 */
import { acquireDevice, type Gpu, Tensor } from "../engine/mod.ts";
import { GpuLlama } from "../engine/llama/mod.ts";
import {
  castParams,
  initParams,
  type LlamaConfig,
  paramCount,
  parseLlamaConfig,
} from "../engine/model/mod.ts";
import { llamaLossAndGradients } from "../engine/reference/llama_loss.ts";

const CONFIGS: { name: string; config: LlamaConfig }[] = [
  {
    name: "d64-i192-l2",
    config: parseLlamaConfig({
      hidden_size: 64,
      intermediate_size: 192,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      vocab_size: 100,
    }),
  },
  {
    name: "d128-i288-l3",
    config: parseLlamaConfig({
      hidden_size: 128,
      intermediate_size: 288,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      vocab_size: 100,
    }),
  },
];
const BATCH = 16, SEQ_LEN = 256, REFERENCE_BATCH = 1;

interface Result {
  name: string;
  tokensPerStep: number;
  seconds: number;
  dispatches?: number;
}
const best = new Map<string, Result>();

function record(result: Result): void {
  const prev = best.get(result.name);
  if (prev === undefined || result.seconds < prev.seconds) best.set(result.name, result);
}

/** Token ids, next-token labels (−1 at the end of each sequence) and unit weights. */
function batchArrays(vocab: number, batch: number) {
  const n = batch * SEQ_LEN;
  const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % vocab);
  const labels = Int32Array.from({ length: n }, (_, i) => ((i + 1) % SEQ_LEN === 0 ? -1 : ids[i + 1]));
  return { ids, labels, weights: new Float32Array(n).fill(1) };
}

let gpu: Gpu | null = null;
try {
  gpu = await acquireDevice();
} catch (error) {
  console.error(`No GPU benchmarks: ${(error as Error).message}`);
}

for (const { name, config } of CONFIGS) {
  const params = initParams(config, 0);
  if (gpu !== null) {
    const model = new GpuLlama(gpu, config, params);
    const host = batchArrays(config.vocabSize, BATCH);
    const batch = {
      ids: Tensor.from(gpu, host.ids),
      labels: Tensor.from(gpu, host.labels),
      weights: Tensor.from(gpu, host.weights),
      batch: BATCH,
      seqLen: SEQ_LEN,
    };
    const benchName = `gpu ${name} ${BATCH}×${SEQ_LEN}`;
    Deno.bench({
      name: benchName,
      group: name,
      n: 5,
      warmup: 1,
      async fn(t) {
        const dispatches = gpu!.stats.dispatches;
        t.start();
        const start = performance.now();
        model.lossAndGrad(batch);
        await gpu!.sync();
        t.end();
        const seconds = (performance.now() - start) / 1e3;
        record({
          name: benchName,
          tokensPerStep: BATCH * SEQ_LEN,
          seconds,
          dispatches: gpu!.stats.dispatches - dispatches,
        });
      },
    });
  }
  const p64 = castParams(params, Float64Array);
  const host = batchArrays(config.vocabSize, REFERENCE_BATCH);
  const tokens = { ids: host.ids, batch: REFERENCE_BATCH, seqLen: SEQ_LEN };
  const targets = { labels: host.labels, weights: Float64Array.from(host.weights) };
  const benchName = `typescript f64 ${name} ${REFERENCE_BATCH}×${SEQ_LEN}`;
  Deno.bench({
    name: benchName,
    group: name,
    baseline: true,
    n: 2,
    warmup: 1,
    fn(t) {
      t.start();
      const start = performance.now();
      llamaLossAndGradients(config, p64, tokens, targets);
      t.end();
      record({
        name: benchName,
        tokensPerStep: REFERENCE_BATCH * SEQ_LEN,
        seconds: (performance.now() - start) / 1e3,
      });
    },
  });
  console.log(`${name}: ${paramCount(config)} parameters`);
}

globalThis.addEventListener("unload", () => {
  if (best.size === 0) return;
  const rows = [...best.values()].map((r) => ({
    name: r.name,
    msPerStep: +(r.seconds * 1e3).toFixed(1),
    tokensPerSecond: Math.round(r.tokensPerStep / r.seconds),
    ...(r.dispatches === undefined ? {} : { dispatchesPerStep: r.dispatches }),
  }));
  console.log("\nBest training step:");
  for (const r of rows) {
    const dispatches = r.dispatchesPerStep === undefined ? "" : `  ${r.dispatchesPerStep} dispatches`;
    console.log(
      `  ${r.name.padEnd(32)} ${String(r.msPerStep).padStart(9)} ms ${
        String(r.tokensPerSecond).padStart(8)
      } tokens/s${dispatches}`,
    );
  }
  const report = {
    createdAt: new Date().toISOString(),
    adapter: gpu?.adapterInfo ?? null,
    family: gpu?.gemmFamily ?? null,
    hardwareConcurrency: navigator.hardwareConcurrency,
    note:
      `GPU: lossAndGrad at ${BATCH}×${SEQ_LEN} incl. one sync; TypeScript: f64 llamaLossAndGradients at ` +
      `${REFERENCE_BATCH}×${SEQ_LEN}, tokens/s per token of that batch`,
    results: rows,
  };
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/llama.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n",
  );
});
