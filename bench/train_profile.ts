/**
 * Per-kernel time of one training step (`lossAndGrad` + AdamW) of the next proxies' shapes, from GPU
 * timestamp queries: every dispatch is submitted on its own with a timestamped compute pass, so the
 * figures are the device's execution times per kernel (copies and host recording not included; the
 * table also gives the step's wall time in the normal batched mode for comparison).
 *
 * Run: `deno run -A bench/train_profile.ts [7B|35B] [seqLen] [vocab]` (default both shapes, batch 32, seqLen
 * 160, the mean padded length of the length-bucketed batches, vocabulary 1200: characters and the number
 * tokens of up to three digits). Needs the `timestamp-query` feature.
 *
 * @module
 */
import * as engine from "../engine/mod.ts";
import { Gpu } from "../engine/gpu.ts";
import * as llama from "../engine/llama/mod.ts";
import { initParams, parseLlamaConfig } from "../engine/model/mod.ts";
import { AdamW } from "../engine/train/adamw_optimizer.ts";
import { Tensor } from "../engine/tensor.ts";
import { installTimestampProfiler } from "./timestamp_profiler.ts";

const SHAPES: Record<string, [number, number, number]> = { "7B": [64, 192, 3], "35B": [128, 384, 4] };
const which = Deno.args[0] ? [Deno.args[0]] : Object.keys(SHAPES);
const seqLen = Number(Deno.args[1] ?? 160), vocab = Number(Deno.args[2] ?? 1200), batch = 32, STEPS = 3;

let flushMs = 0;
const flush = Gpu.prototype.flush;
Gpu.prototype.flush = function (this: Gpu) {
  const t = performance.now();
  flush.call(this);
  flushMs += performance.now() - t;
};
const gpu = await engine.acquireDevice();
const profiler = installTimestampProfiler(gpu, (kernel, request) => {
  if (kernel.name.startsWith("matmul_texture") && request.params) {
    // m, n, k/8 and the workgroup grid of the software GEMM.
    const [m, n, k8] = new Uint32Array(request.params.bytes().buffer, 0, 3);
    const [x, y = 1, z = 1] = request.workgroups;
    return `gemm ${m}×${n}×${k8 * 8} wg ${x}×${y}×${z}`;
  }
  if (kernel.name.startsWith("matmul_")) {
    const [x, y = 1, z = 1] = request.workgroups;
    return `${kernel.name} wg ${x}×${y}×${z}`;
  }
  return kernel.name;
}, "train_profile");
console.log(`adapter: ${gpu.adapterInfo.description}; batch ${batch}, seqLen ${seqLen}, vocabulary ${vocab}`);

for (const name of which) {
  const [hidden, inter, layers] = SHAPES[name];
  const config = parseLlamaConfig({
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    vocab_size: vocab,
    max_position_embeddings: 320,
  });
  const model = new llama.GpuLlama(gpu, config, initParams(config, 0));
  const optimizer = new AdamW(model.params, model.grads, {
    beta1: 0.9,
    beta2: 0.95,
    weightDecay: 0.01,
    gradClip: 1,
  });
  const n = batch * seqLen;
  const ids = Int32Array.from({ length: n }, (_, i) => 1 + (i * 7919) % 99);
  const labelsHost = Int32Array.from({ length: n }, (_, i) => (i % seqLen === seqLen - 1 ? -1 : ids[i + 1]));
  const weights = Float32Array.from(labelsHost, (l) => (l < 0 ? 0 : 1 / n));
  const b = {
    ids: Tensor.from(gpu, ids),
    labels: Tensor.from(gpu, labelsHost),
    weights: Tensor.from(gpu, weights),
    batch,
    seqLen,
  };
  const step = () => {
    model.lossAndGrad(b);
    optimizer.step(1e-3);
    gpu.flush();
  };
  step();
  await gpu.sync();
  const t0 = performance.now();
  flushMs = 0;
  for (let s = 0; s < STEPS; s++) step();
  const host = (performance.now() - t0) / STEPS, inFlush = flushMs / STEPS;
  await gpu.sync();
  const wall = (performance.now() - t0) / STEPS;
  const dispatches0 = gpu.stats.dispatches, submits0 = gpu.stats.submits;
  step();
  await gpu.sync();
  const perStep = gpu.stats.dispatches - dispatches0;

  const byKernel = new Map<string, { ms: number; count: number }>();
  let total = 0;
  for (const { label, ms } of await profiler.profile(step)) {
    total += ms;
    const e = byKernel.get(label) ?? { ms: 0, count: 0 };
    e.ms += ms;
    e.count++;
    byKernel.set(label, e);
  }
  console.log(
    `\n${name} (${layers} × ${hidden}, MLP ${inter}): wall ${wall.toFixed(1)} ms/step batched ` +
      `(${Math.round(n / wall * 1000)} padded tokens/s; host ${host.toFixed(1)} ms, of which in flush ${
        inFlush.toFixed(1)
      }), ` +
      `${perStep} dispatches, ` +
      `${gpu.stats.submits - submits0} submits; dispatch time summed ${total.toFixed(1)} ms`,
  );
  for (const [k, e] of [...byKernel].sort((x, y) => y[1].ms - x[1].ms)) {
    console.log(
      `  ${k.padEnd(32)} ${e.ms.toFixed(2).padStart(9)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%` +
        `  ×${e.count}`,
    );
  }
  optimizer.destroy();
  model.destroy();
  for (const t of [b.ids, b.labels, b.weights]) t.destroy();
}
await gpu.destroy();
