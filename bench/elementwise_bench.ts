/**
 * Memory-bound per-element kernels on the shapes of a forward + backward pass of the d128-i288 Llama
 * proxy at 16 × 160 tokens (2560 rows; hidden 128; intermediate 288, so gu is [2560, 576]; RoPE on
 * 4 heads of 32 in qkv rows of stride 384): each kernel's vec4 path (the default on these aligned
 * shapes) beside its scalar fallback (`…Scalar`, the same wrapper forced onto the scalar kernel).
 *
 * Each iteration records REPS calls into one submission and waits for completion (`Gpu.sync()`), so
 * a timing includes one ~10 ms round trip shared by REPS calls. After the run a table of ms per call
 * (best and median iteration) is printed and written to `bench/out/elementwise.json` with the adapter
 * identity.
 *
 * Run: `deno bench -A bench/elementwise_bench.ts`.
 */
import { acquireDevice, type Gpu, Tensor } from "../engine/mod.ts";
import { copyColumns, copyColumnsScalar } from "../engine/kernels/copy_columns.ts";
import { rmsNorm, rmsNormScalar } from "../engine/kernels/rmsnorm.ts";
import { rmsNormBackward, rmsNormBackwardScalar } from "../engine/kernels/rmsnorm_backward.ts";
import { rope, type RopeOptions, ropeScalar } from "../engine/kernels/rope.ts";
import { ropeTable } from "../engine/kernels/rope_table.ts";
import { swiglu, swigluBackward, swigluBackwardScalar, swigluScalar } from "../engine/kernels/swiglu.ts";

const ROWS = 2560, HIDDEN = 128, INTER = 288, TQ = 160;
/** Calls per submission. */
const REPS = 16;
/** Unreported iterations per bench. */
const WARMUP = 2;

/** Seconds per call of every iteration, by bench name. */
const samples = new Map<string, number[]>();

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
}

let gpu: Gpu | null = null;
try {
  gpu = await acquireDevice();
} catch (error) {
  console.error(`No GPU benchmarks: ${(error as Error).message}`);
}

/** One kernel: the call on each path. */
interface Case {
  name: string;
  vec4: () => void;
  scalar: () => void;
}

function cases(gpu: Gpu): Case[] {
  const gu = Tensor.from(gpu, random(ROWS * 2 * INTER, 1), [ROWS, 2 * INTER]);
  const act = Tensor.zeros(gpu, [ROWS, INTER]),
    dAct = Tensor.from(gpu, random(ROWS * INTER, 2), [ROWS, INTER]);
  const dGu = Tensor.zeros(gpu, [ROWS, 2 * INTER]), block = Tensor.zeros(gpu, [ROWS, INTER]);
  const x = Tensor.from(gpu, random(ROWS * HIDDEN, 3), [ROWS, HIDDEN]);
  const w = Tensor.from(gpu, random(HIDDEN, 4).map((v) => 1 + v), [HIDDEN]);
  const y = Tensor.zeros(gpu, [ROWS, HIDDEN]), inv = Tensor.zeros(gpu, [ROWS]);
  const dy = Tensor.from(gpu, random(ROWS * HIDDEN, 5), [ROWS, HIDDEN]),
    dx = Tensor.zeros(gpu, [ROWS, HIDDEN]);
  const qkv = Tensor.from(gpu, random(ROWS * 3 * HIDDEN, 6), [ROWS, 3 * HIDDEN]);
  const table = Tensor.from(gpu, ropeTable(TQ, 32, 10000));
  const ro: RopeOptions = { rows: ROWS, stride: 3 * HIDDEN, offset: 0, heads: 4, headDim: 32, tq: TQ };
  return [
    {
      name: `copy_columns [${ROWS}×${INTER}] of [${ROWS}×${2 * INTER}]`,
      vec4: () => copyColumns(gu, INTER, block),
      scalar: () => copyColumnsScalar(gu, INTER, block),
    },
    {
      name: `swiglu gu [${ROWS}×${2 * INTER}]`,
      vec4: () => swiglu(gu, act),
      scalar: () => swigluScalar(gu, act),
    },
    {
      name: `swiglu_backward gu [${ROWS}×${2 * INTER}]`,
      vec4: () => swigluBackward(gu, dAct, dGu),
      scalar: () => swigluBackwardScalar(gu, dAct, dGu),
    },
    {
      name: `rmsnorm [${ROWS}×${HIDDEN}]`,
      vec4: () => rmsNorm(x, w, 1e-5, y, inv),
      scalar: () => rmsNormScalar(x, w, 1e-5, y, inv),
    },
    {
      // Input gradient only (accumulated, as into the residual gradient): the gain gradient is shared.
      name: `rmsnorm_backward dx [${ROWS}×${HIDDEN}]`,
      vec4: () => rmsNormBackward(x, w, inv, dy, dx, { accumulate: true }),
      scalar: () => rmsNormBackwardScalar(x, w, inv, dy, dx, { accumulate: true }),
    },
    {
      name: `rope 4×32 in [${ROWS}×${3 * HIDDEN}]`,
      vec4: () => rope(qkv, table, ro),
      scalar: () => ropeScalar(qkv, table, ro),
    },
  ];
}

if (gpu !== null) {
  for (const c of cases(gpu)) {
    for (const [path, call] of [["scalar", c.scalar], ["vec4", c.vec4]] as const) {
      const name = `${path} ${c.name} ×${REPS}`;
      Deno.bench({
        name,
        group: c.name,
        baseline: path === "scalar",
        n: 8,
        warmup: WARMUP,
        async fn(t) {
          t.start();
          const start = performance.now();
          for (let r = 0; r < REPS; r++) call();
          await gpu!.sync();
          t.end();
          const list = samples.get(name) ?? [];
          list.push((performance.now() - start) / 1e3 / REPS);
          samples.set(name, list);
          // The first WARMUP runs (pipeline compilation, first submission) are not reported.
          if (list.length === WARMUP + 1) list.splice(0, WARMUP);
        },
      });
    }
  }
}

globalThis.addEventListener("unload", () => {
  if (samples.size === 0) return;
  const rows = [...samples].map(([name, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return {
      name,
      bestMs: +(sorted[0] * 1e3).toFixed(2),
      medianMs: +(sorted[Math.floor(sorted.length / 2)] * 1e3).toFixed(2),
    };
  });
  console.log("\nms per call (best / median iteration, each iteration includes 1/REPS of a sync):");
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(60)} ${String(r.bestMs).padStart(8)} ${String(r.medianMs).padStart(8)}`);
  }
  const report = {
    createdAt: new Date().toISOString(),
    adapter: gpu?.adapterInfo ?? null,
    hardwareConcurrency: navigator.hardwareConcurrency,
    repsPerSubmission: REPS,
    results: rows,
  };
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/elementwise.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n",
  );
});
