/**
 * Where document scoring spends its time: one range of real documents scored against a proxy's query
 * rows, each dispatch submitted on its own with a timestamped compute pass, summed by phase (the
 * model's forward and backward, the per-document gradients `add`, the query products `commit`) and by
 * kernel. The table also gives the range's wall time in the normal batched mode.
 *
 * Run: `deno run -A bench/score_profile.ts MODEL_DIR TOKENIZE_DIR [documents] [rows]`, with the model
 * and tokenize stages' artifact folders of a run's cache (e.g. `.cache/procedural-knowledge/model@7B/KEY`);
 * default 256 documents against 200 query rows (random, as only their count matters for the time).
 * Needs the `timestamp-query` feature.
 *
 * @module
 */
import { Gpu } from "../engine/gpu.ts";
import { acquireDevice } from "../engine/mod.ts";
import { DocumentScorer } from "../engine/influence/gpu/document_scorer.ts";
import { corpusRows, InfluencePipeline } from "../engine/influence/pipeline/mod.ts";
import { DocumentScoring } from "../engine/influence/pipeline/score_documents.ts";
import { readInfluenceModel } from "../experiments/influence/influence_model.ts";
import { readTokenizedCorpus } from "../experiments/stages/tokenize_stage.ts";

const [modelDir, tokenizeDir] = Deno.args;
if (!modelDir || !tokenizeDir) {
  throw new Error("usage: score_profile.ts MODEL_DIR TOKENIZE_DIR [documents] [rows]");
}
const count = Number(Deno.args[2] ?? 256), rows = Number(Deno.args[3] ?? 200);

const QUERIES = 4096;
let phase = "other", profiling = false, used = 0;
const labels: string[] = [];
let querySet: GPUQuerySet | null = null, resolve: GPUBuffer | null = null;
const encoderRanges = new WeakMap<GPUCommandEncoder, [number, number]>();
let current = "";

const dispatch = Gpu.prototype.dispatch;
Gpu.prototype.dispatch = function (this: Gpu, kernel, request) {
  if (!profiling) return dispatch.call(this, kernel, request);
  this.flush();
  current = `${phase}\t${kernel.name}`;
  dispatch.call(this, kernel, request);
  this.flush();
};
const begin = GPUCommandEncoder.prototype.beginComputePass;
GPUCommandEncoder.prototype.beginComputePass = function (this: GPUCommandEncoder, descriptor) {
  if (!profiling || querySet === null || used + 2 > QUERIES) return begin.call(this, descriptor);
  const i = used;
  used += 2;
  labels[i / 2] = current;
  const range = encoderRanges.get(this) ?? [i, i];
  encoderRanges.set(this, [range[0], i + 2]);
  return begin.call(this, {
    ...descriptor,
    timestampWrites: { querySet, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 },
  });
};
const finish = GPUCommandEncoder.prototype.finish;
GPUCommandEncoder.prototype.finish = function (this: GPUCommandEncoder, descriptor) {
  const range = encoderRanges.get(this);
  if (range && querySet && resolve) {
    for (let i = range[0]; i < range[1]; i += 2) this.resolveQuerySet(querySet, i, 2, resolve, i * 128);
  }
  return finish.call(this, descriptor);
};
/** Labels the dispatches a method records with a phase. */
function phased<T extends object>(proto: T, method: keyof T, name: string): void {
  const original = proto[method] as (...args: unknown[]) => unknown;
  (proto as Record<keyof T, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    const outer = phase;
    phase = name;
    try {
      return original.apply(this, args);
    } finally {
      phase = outer;
    }
  };
}
phased(DocumentScoring.prototype, "records", "forward/backward");
phased(DocumentScorer.prototype, "add", "add");
phased(DocumentScorer.prototype, "commit", "commit");

const gpu = await acquireDevice();
if (!gpu.features.has("timestamp-query")) throw new Error("score_profile: no timestamp-query feature");
querySet = gpu.device.createQuerySet({ type: "timestamp", count: QUERIES });
resolve = gpu.device.createBuffer({
  size: QUERIES * 128,
  usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
});

const model = await readInfluenceModel(modelDir, { trackedModules: ["gate_proj", "up_proj", "down_proj"] });
const corpus = await readTokenizedCorpus(tokenizeDir);
const documents = corpusRows(corpus.documents);
const pipeline = new InfluencePipeline(gpu, model, {});
let s = 1;
const p = new Map(model.layers.map((l) => [
  l.name,
  Float32Array.from(
    { length: rows * l.outDim * l.inDim },
    () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5,
  ),
]));
const scoring = pipeline.scoring(p, rows);
const tokens = documents.slice(0, count).reduce((n, d) => n + d.length, 0);
console.log(
  `adapter: ${gpu.adapterInfo.description}; ${model.layers.length} tracked layers, ${rows} rows, ` +
    `${count} documents (${tokens} tokens)`,
);
await scoring.scoreRange(documents, 0, Math.min(count, 128));
const t0 = performance.now();
await scoring.scoreRange(documents, 0, count);
const wall = performance.now() - t0;
profiling = true;
used = 0;
await scoring.scoreRange(documents, 0, count);
profiling = false;
await gpu.sync();
const [raw] = await gpu.readBuffers([{ buffer: resolve, offset: 0, size: used * 128 }]);
const slots = new BigUint64Array(raw);
const byPhase = new Map<string, number>(), byKernel = new Map<string, { ms: number; count: number }>();
let total = 0;
for (let q = 0; q < used / 2; q++) {
  const ms = Number(slots[32 * q + 1] - slots[32 * q]) / 1e6;
  total += ms;
  const [ph] = labels[q].split("\t");
  byPhase.set(ph, (byPhase.get(ph) ?? 0) + ms);
  const e = byKernel.get(labels[q]) ?? { ms: 0, count: 0 };
  e.ms += ms;
  e.count++;
  byKernel.set(labels[q], e);
}
console.log(
  `wall ${wall.toFixed(0)} ms batched; dispatch time summed ${total.toFixed(0)} ms (${used / 2} dispatches)`,
);
for (const [k, ms] of [...byPhase].sort((x, y) => y[1] - x[1])) {
  console.log(
    `  ${k.padEnd(20)} ${ms.toFixed(1).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%`,
  );
}
for (const [k, e] of [...byKernel].sort((x, y) => y[1].ms - x[1].ms).slice(0, 25)) {
  console.log(
    `  ${k.replace("\t", " / ").padEnd(48)} ${e.ms.toFixed(1).padStart(9)} ms ${
      (100 * e.ms / total).toFixed(1).padStart(5)
    }%  ×${e.count}`,
  );
}
scoring.destroy();
pipeline.destroy();
await gpu.destroy();
