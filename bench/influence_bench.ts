/**
 * Throughput of the GPU influence pipeline beside the float64 TypeScript reference of the same step,
 * on records of realistic proxy size: two tracked layers, W [192, 64] and W [288, 128], fed batches of
 * 4096 tokens (8 sequences × 512) of synthetic a and g.
 *
 * - fit covariance: A and S sums over a batch's fit rows (`CovarianceAccumulator.add`) vs the
 *   reference's `addGram` per layer;
 * - fit Λ: per-sequence gradients rotated into the eigenbases and squared (`LambdaAccumulator.add`)
 *   vs the reference's `matmulF64` + `toEigenbasis` + squares per sequence;
 * - eigen: every A and S (orders 64, 192, 128, 288) by `jacobiEigen` in one call vs `symmetricEigen`;
 * - score Q=…: chunks of 16 documents × 256 tokens against 1, 10 or 100 preconditioned queries
 *   (`DocumentScorer.score`, one read-back per chunk) vs `matmulF64` document gradients + `influenceScore`.
 *
 * The influence stages as a whole (the 7B setup of the default study, against an older commit in the same
 * run) are timed by `bench/influence_stages_bench.ts`; where a scoring pass spends its time, by
 * `bench/score_profile.ts`.
 *
 * Run: `deno bench -A bench/influence_bench.ts`. After the run a table of tokens/s and documents/s is
 * printed and written to `bench/out/influence.json` with the adapter identity.
 */
import { acquireDevice, type Gpu, Tensor } from "../engine/mod.ts";
import { addGram, matmulF64, toEigenbasis } from "../engine/influence/cpu/dense.ts";
import type { LayerEigenbasis } from "../engine/influence/cpu/eigendecompose_covariances.ts";
import { influenceScore } from "../engine/influence/cpu/influence_scores.ts";
import { symmetricEigen } from "../engine/influence/cpu/symmetric_eigen.ts";
import {
  CovarianceAccumulator,
  DocumentScorer,
  jacobiEigen,
  LambdaAccumulator,
  type RecordBatch,
  type SequenceRows,
} from "../engine/influence/gpu/mod.ts";
import type { TrackedLayer } from "../engine/influence/tracked_layers.ts";

const LAYERS: TrackedLayer[] = [
  { name: "proxy.mlp.up_proj.weight", outDim: 192, inDim: 64 },
  { name: "proxy.mlp.down_proj.weight", outDim: 288, inDim: 128 },
];
const SEQ_LEN = 512, SEQUENCES = 8, TOKENS = SEQ_LEN * SEQUENCES;
const DOC_LEN = 256, CHUNK = 16;
// Batches (chunks) per iteration, the same for the GPU and the TypeScript reference so that the
// bench summary compares equal work; the GPU submits them together and waits once.
const FIT_BATCHES = 2, SCORE_CHUNKS = 2;

/** Units per second of the best iteration, by bench name. */
const best = new Map<string, { perSecond: number; unit: string }>();

function record(name: string, seconds: number, units: number, unit: string): void {
  const prev = best.get(name);
  if (prev === undefined || units / seconds > prev.perSecond) {
    best.set(name, { perSecond: units / seconds, unit });
  }
}

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from(
    { length: n },
    () => (((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5) * scale,
  );
}

/** Synthetic records of `rows` tokens: a ~ U(−0.5, 0.5), g ~ U(−0.005, 0.005). */
function hostRecords(rows: number, seed: number): Map<string, { a: Float32Array; g: Float32Array }> {
  return new Map(LAYERS.map(({ name, inDim, outDim }, l) => [name, {
    a: random(rows * inDim, seed + 2 * l),
    g: random(rows * outDim, seed + 2 * l + 1, 0.01),
  }]));
}

function upload(gpu: Gpu, host: Map<string, { a: Float32Array; g: Float32Array }>, rows: number) {
  return new Map([...host].map(([name, { a, g }]) => [name, {
    a: Tensor.from(gpu, a, [rows, a.length / rows]),
    g: Tensor.from(gpu, g, [rows, g.length / rows]),
  }]));
}

const ranges = (count: number, length: number): SequenceRows[] =>
  Array.from({ length: count }, (_, i) => ({ start: i * length, rows: length }));

const fitHost = hostRecords(TOKENS, 1);
const fitHost64 = new Map([...fitHost].map(([name, { a, g }]) => [name, {
  a: Float64Array.from(a),
  g: Float64Array.from(g),
}]));
const docHost = hostRecords(CHUNK * DOC_LEN, 7);
const docHost64 = new Map([...docHost].map(([name, { a, g }]) => [name, {
  a: Float64Array.from(a),
  g: Float64Array.from(g),
}]));

/** The reference covariances of the fit batch (every row but each sequence's last), float64. */
function referenceCovariances(): Map<string, { a: Float64Array; s: Float64Array }> {
  const fitted = (row: number) => (row + 1) % SEQ_LEN !== 0;
  return new Map(LAYERS.map(({ name, inDim, outDim }) => {
    const { a, g } = fitHost64.get(name)!;
    const sa = new Float64Array(inDim * inDim), ss = new Float64Array(outDim * outDim);
    addGram(sa, a, inDim, fitted);
    addGram(ss, g, outDim, fitted);
    const tokens = TOKENS - SEQUENCES;
    return [name, { a: sa.map((v) => v / tokens), s: ss.map((v) => v / tokens) }];
  }));
}

const covariances = referenceCovariances();
const bases = new Map<string, LayerEigenbasis>(LAYERS.map((layer) => {
  const c = covariances.get(layer.name)!;
  const a = symmetricEigen(c.a, layer.inDim), s = symmetricEigen(c.s, layer.outDim);
  const accuracy = { sweeps: 0, orthogonalityError: 0, reconstructionError: 0 };
  return [layer.name, {
    ...layer,
    qa: a.vectors,
    aValues: a.values,
    qs: s.vectors,
    sValues: s.values,
    tokens: TOKENS - SEQUENCES,
    sequences: SEQUENCES,
    accuracy: { a: accuracy, s: accuracy },
  }];
}));

let gpu: Gpu | null = null;
try {
  gpu = await acquireDevice();
} catch (error) {
  console.error(`No GPU benchmarks: ${(error as Error).message}`);
}

// ---- fit covariance and Λ ----------------------------------------------------------------------

/** Benchmarks `FIT_BATCHES` fit passes over `TOKENS` tokens, recording tokens/s. */
function benchFit(
  name: string,
  group: string,
  baseline: boolean,
  pass: () => void,
  sync?: () => Promise<void>,
) {
  Deno.bench({
    name,
    group,
    baseline,
    n: baseline ? 2 : 5,
    warmup: baseline ? 0 : 1,
    async fn(t) {
      t.start();
      const start = performance.now();
      for (let b = 0; b < FIT_BATCHES; b++) pass();
      await sync?.();
      t.end();
      record(name, (performance.now() - start) / 1e3, FIT_BATCHES * TOKENS, "tokens/s");
    },
  });
}

if (gpu !== null) {
  const batch: RecordBatch = { records: upload(gpu, fitHost, TOKENS), sequences: ranges(SEQUENCES, SEQ_LEN) };
  const covariances = new CovarianceAccumulator(gpu, LAYERS);
  const lambda = new LambdaAccumulator(gpu, LAYERS, { bases });
  const sync = () => gpu!.sync();
  benchFit(
    `gpu covariance ${TOKENS} tokens ×${FIT_BATCHES}`,
    "fit covariance",
    false,
    () => covariances.add(batch),
    sync,
  );
  benchFit(`gpu lambda ${TOKENS} tokens ×${FIT_BATCHES}`, "fit lambda", false, () => lambda.add(batch), sync);
}
benchFit(
  `typescript f64 addGram ${TOKENS} tokens ×${FIT_BATCHES}`,
  "fit covariance",
  true,
  referenceCovariances,
);
benchFit(`typescript f64 lambda ${TOKENS} tokens ×${FIT_BATCHES}`, "fit lambda", true, referenceLambda);

/** The reference's Λ and D sums over the fit batch's sequences, float64. */
function referenceLambda(): void {
  for (const { name: layer, outDim, inDim } of LAYERS) {
    const { a, g } = fitHost64.get(layer)!, basis = bases.get(layer)!;
    const lambda = new Float64Array(outDim * inDim), diagonal = new Float64Array(outDim * inDim);
    for (let s = 0; s < SEQUENCES; s++) {
      const rows = (x: Float64Array, width: number) =>
        x.subarray(s * SEQ_LEN * width, (s + 1) * SEQ_LEN * width);
      const dw = matmulF64(rows(g, outDim), rows(a, inDim), outDim, SEQ_LEN, inDim, true);
      const rotated = toEigenbasis(dw, basis.qs, basis.qa, outDim, inDim);
      for (let k = 0; k < dw.length; k++) diagonal[k] += dw[k] ** 2, lambda[k] += rotated[k] ** 2;
    }
  }
}

// ---- eigendecomposition --------------------------------------------------------------------------
const problems = LAYERS.flatMap(({ name, inDim, outDim }) => [
  { matrix: covariances.get(name)!.a, n: inDim },
  { matrix: covariances.get(name)!.s, n: outDim },
]);
const orders = problems.map((p) => p.n).join("+");
if (gpu !== null) {
  const name = `gpu jacobi ${orders}`;
  Deno.bench({
    name,
    group: "eigen",
    n: 1,
    warmup: 0,
    async fn(t) {
      t.start();
      const start = performance.now();
      await jacobiEigen(gpu!, problems);
      t.end();
      record(name, (performance.now() - start) / 1e3, problems.length, "matrices/s");
    },
  });
}
{
  const name = `typescript f64 symmetricEigen ${orders}`;
  Deno.bench({
    name,
    group: "eigen",
    baseline: true,
    n: 1,
    warmup: 0,
    fn(t) {
      t.start();
      const start = performance.now();
      for (const { matrix, n } of problems) symmetricEigen(matrix, n);
      t.end();
      record(name, (performance.now() - start) / 1e3, problems.length, "matrices/s");
    },
  });
}

// ---- scoring -------------------------------------------------------------------------------------
for (const queries of [1, 10, 100]) {
  const group = `score Q=${queries}`;
  const preconditioned = new Map(LAYERS.map(({ name, outDim, inDim }, l) => [
    name,
    random(queries * outDim * inDim, 100 + l),
  ]));
  if (gpu !== null) {
    const p = new Map(LAYERS.map(({ name, outDim, inDim }) => [
      name,
      Tensor.from(gpu!, preconditioned.get(name)!, [queries, outDim, inDim]) as Tensor,
    ]));
    const scorer = new DocumentScorer(gpu, LAYERS, p, { maxDocuments: CHUNK });
    const batch: RecordBatch = {
      records: upload(gpu, docHost, CHUNK * DOC_LEN),
      sequences: ranges(CHUNK, DOC_LEN),
    };
    const name = `gpu scorer ${CHUNK} docs × ${SCORE_CHUNKS} chunks, Q=${queries}`;
    Deno.bench({
      name,
      group,
      n: 5,
      warmup: 1,
      async fn(t) {
        t.start();
        const start = performance.now();
        for (let c = 0; c < SCORE_CHUNKS; c++) await scorer.score(batch);
        t.end();
        record(name, (performance.now() - start) / 1e3, SCORE_CHUNKS * CHUNK, "documents/s");
      },
    });
  }
  const perQuery = Array.from({ length: queries }, (_, q) =>
    new Map(LAYERS.map(({ name, outDim, inDim }) => {
      const size = outDim * inDim;
      return [name, Float64Array.from(preconditioned.get(name)!.subarray(q * size, (q + 1) * size))];
    })));
  const name = `typescript f64 ${CHUNK} docs × ${SCORE_CHUNKS} chunks, Q=${queries}`;
  Deno.bench({
    name,
    group,
    baseline: true,
    n: 2,
    warmup: 0,
    fn(t) {
      t.start();
      const start = performance.now();
      for (let d = 0; d < SCORE_CHUNKS * CHUNK; d++) {
        const gradient = new Map(LAYERS.map(({ name: layer, outDim, inDim }) => {
          const { a, g } = docHost64.get(layer)!;
          const rows = (x: Float64Array, width: number) =>
            x.subarray((d % CHUNK) * DOC_LEN * width, ((d % CHUNK) + 1) * DOC_LEN * width);
          return [layer, matmulF64(rows(g, outDim), rows(a, inDim), outDim, DOC_LEN, inDim, true)];
        }));
        for (const p of perQuery) influenceScore(p, gradient);
      }
      t.end();
      record(name, (performance.now() - start) / 1e3, SCORE_CHUNKS * CHUNK, "documents/s");
    },
  });
}

globalThis.addEventListener("unload", () => {
  if (best.size === 0) return;
  const rows = [...best].map(([name, { perSecond, unit }]) => ({
    name,
    perSecond: +perSecond.toPrecision(4),
    unit,
  }));
  // Both fit passes over the same tokens: 1 / (1/covariance + 1/Λ).
  for (const who of ["gpu", "typescript f64"]) {
    const rate = (group: string) => rows.find((r) => r.name.startsWith(`${who} ${group}`))?.perSecond;
    const [covariance, lambda] = [rate(who === "gpu" ? "covariance" : "addGram"), rate("lambda")];
    if (covariance !== undefined && lambda !== undefined) {
      const perSecond = +(1 / (1 / covariance + 1 / lambda)).toPrecision(4);
      rows.push({ name: `${who} fit (covariance + lambda passes)`, perSecond, unit: "tokens/s" });
    }
  }
  console.log("\nBest throughput:");
  for (const r of rows) console.log(`  ${r.name.padEnd(52)} ${String(r.perSecond).padStart(10)} ${r.unit}`);
  const report = {
    createdAt: new Date().toISOString(),
    adapter: gpu?.adapterInfo ?? null,
    layers: LAYERS,
    fitBatch: { sequences: SEQUENCES, seqLen: SEQ_LEN },
    documents: { chunk: CHUNK, docLen: DOC_LEN },
    hardwareConcurrency: navigator.hardwareConcurrency,
    results: rows,
  };
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/influence.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n",
  );
});
