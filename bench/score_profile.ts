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
import { acquireDevice } from "../engine/mod.ts";
import { DocumentScorer } from "../engine/influence/gpu/document_scorer.ts";
import { corpusRows, InfluencePipeline } from "../engine/influence/pipeline/mod.ts";
import { DocumentScoring } from "../engine/influence/pipeline/score_documents.ts";
import { readInfluenceModel } from "../experiments/influence/influence_model.ts";
import { readTokenizedCorpus } from "../experiments/stages/tokenize_stage.ts";
import { installTimestampProfiler } from "./timestamp_profiler.ts";

const [modelDir, tokenizeDir] = Deno.args;
if (!modelDir || !tokenizeDir) {
  throw new Error("usage: score_profile.ts MODEL_DIR TOKENIZE_DIR [documents] [rows]");
}
const count = Number(Deno.args[2] ?? 256), rows = Number(Deno.args[3] ?? 200);

let phase = "other";
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
const profiler = installTimestampProfiler(gpu, (kernel) => `${phase}\t${kernel.name}`, "score_profile");

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
const timed = await profiler.profile(() => scoring.scoreRange(documents, 0, count));
const byPhase = new Map<string, number>(), byKernel = new Map<string, { ms: number; count: number }>();
let total = 0;
for (const { label, ms } of timed) {
  total += ms;
  const [ph] = label.split("\t");
  byPhase.set(ph, (byPhase.get(ph) ?? 0) + ms);
  const e = byKernel.get(label) ?? { ms: 0, count: 0 };
  e.ms += ms;
  e.count++;
  byKernel.set(label, e);
}
console.log(
  `wall ${wall.toFixed(0)} ms batched; dispatch time summed ${
    total.toFixed(0)
  } ms (${timed.length} dispatches)`,
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
