/**
 * GEMM throughput of the device's GEMM family beside a plain TypeScript i-k-j loop, at 256³, 512³,
 * 1024³ (NN) and 1024³ NT / TN, and beside a **baseline**: the engine as of commit
 * {@linkcode BASELINE_REV} (or `MATMUL_BENCH_BASELINE=<rev>`; `none` skips it), extracted with
 * `git archive` into a temporary folder and imported from there, timed in the same run on its own
 * device of the same adapter. Each GPU iteration records several products (×N in the name) into
 * one submission and waits for completion (`Gpu.sync()`), so timings include the GPU finishing its
 * work but only one ~10 ms round trip per iteration; the TypeScript loop runs the same count.
 *
 * Run: `deno bench -A bench/matmul_bench.ts`. After the run a GFLOP/s table (with the current/baseline
 * ratio per case) is printed and written to `bench/out/matmul.json` with the adapter identity and the
 * kernel configuration.
 */
import * as engine from "../engine/mod.ts";
import { acquireDevice, type Gpu } from "../engine/mod.ts";

/** The engine before the software GEMM's 16 × 16 blocks (the baseline's commit). */
const BASELINE_REV = "7b8cf26f34c5a47127fda2614655af182b8e0772";
const baselineRev = Deno.env.get("MATMUL_BENCH_BASELINE") ?? BASELINE_REV;

/** What a variant needs from an engine checkout. */
interface EngineModules {
  acquireDevice: typeof engine.acquireDevice;
  matmul: typeof engine.matmul;
  Tensor: typeof engine.Tensor;
}

/** The baseline engine, extracted from git into a temporary folder. */
async function baselineEngine(rev: string): Promise<EngineModules> {
  const dir = await Deno.makeTempDir({ prefix: "matmul-bench-baseline-" });
  const root = new URL("..", import.meta.url).pathname;
  const archive = new Deno.Command("sh", {
    args: ["-c", `git -C "${root}" archive "${rev}" engine | tar -x -C "${dir}"`],
  });
  const { code, stderr } = await archive.output();
  if (code !== 0) throw new Error(`Cannot extract the baseline ${rev}: ${new TextDecoder().decode(stderr)}`);
  const e = await import(`file://${dir}/engine/mod.ts`);
  return { acquireDevice: e.acquireDevice, matmul: e.matmul, Tensor: e.Tensor };
}

interface Case {
  name: string;
  size: number;
  transA: boolean;
  transB: boolean;
}

const CASES: Case[] = [
  { name: "NN 256", size: 256, transA: false, transB: false },
  { name: "NN 512", size: 512, transA: false, transB: false },
  { name: "NN 1024", size: 1024, transA: false, transB: false },
  { name: "NT 1024", size: 1024, transA: false, transB: true },
  { name: "TN 1024", size: 1024, transA: true, transB: false },
];

/** Best seconds per product, by bench name. */
const best = new Map<string, { seconds: number; flops: number }>();

function record(name: string, seconds: number, flops: number): void {
  const prev = best.get(name);
  if (prev === undefined || seconds < prev.seconds) best.set(name, { seconds, flops });
}

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
}

/** C = A·B for square row-major matrices, i-k-j order (streams rows of B and C). */
function matmulTs(a: Float32Array, b: Float32Array, c: Float32Array, n: number): void {
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k], bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * b[bk + j];
    }
  }
}

let gpu: Gpu | null = null;
try {
  gpu = await acquireDevice();
} catch (error) {
  console.error(`No GPU benchmarks: ${(error as Error).message}`);
}
const variants: { label: string; modules: EngineModules; gpu: Gpu }[] = [];
if (gpu !== null) {
  if (baselineRev !== "none") {
    const modules = await baselineEngine(baselineRev);
    variants.push({
      label: `baseline ${baselineRev.slice(0, 7)}`,
      modules,
      gpu: await modules.acquireDevice(),
    });
  }
  variants.push({ label: gpu.gemmFamily, modules: engine, gpu });
}

for (const { name, size: n, transA, transB } of CASES) {
  const flops = 2 * n ** 3;
  const group = `gemm ${name}`;
  // Products per iteration: the same for the GPU and the TypeScript loop so that the summary's ratio
  // compares equal work; several per submission amortise the ~10 ms completion round trip.
  const reps = n <= 256 ? 16 : n <= 512 ? 4 : 2;
  for (const { label, modules, gpu: device } of variants) {
    const a = modules.Tensor.from(device, random(n * n, 1), [n, n]);
    const b = modules.Tensor.from(device, random(n * n, 2), [n, n]);
    const c = modules.Tensor.zeros(device, [n, n]);
    const benchName = `${label} ${name} ×${reps}`;
    Deno.bench({
      name: benchName,
      group,
      n: 5,
      warmup: 1,
      async fn(t) {
        t.start();
        const start = performance.now();
        for (let r = 0; r < reps; r++) modules.matmul(a, b, c, { transA, transB });
        await device.sync();
        t.end();
        record(benchName, (performance.now() - start) / 1e3 / reps, flops);
      },
    });
  }
  if (!transA && !transB) {
    const a = random(n * n, 1), b = random(n * n, 2), c = new Float32Array(n * n);
    const benchName = `typescript i-k-j ${name} ×${reps}`;
    Deno.bench({
      name: benchName,
      group,
      baseline: true,
      n: n >= 1024 ? 1 : 3,
      warmup: n >= 1024 ? 0 : 1,
      fn(t) {
        t.start();
        const start = performance.now();
        for (let r = 0; r < reps; r++) matmulTs(a, b, c, n);
        t.end();
        record(benchName, (performance.now() - start) / 1e3 / reps, flops);
      },
    });
  }
}

globalThis.addEventListener("unload", () => {
  if (best.size === 0) return;
  const rows = [...best].map(([name, { seconds, flops }]) => ({
    name,
    ms: +(seconds * 1e3).toFixed(2),
    gflops: +(flops / seconds / 1e9).toFixed(2),
  }));
  console.log("\nBest time per product:");
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(28)} ${String(r.ms).padStart(9)} ms ${String(r.gflops).padStart(8)} GFLOP/s`,
    );
  }
  const ratios: Record<string, number> = {};
  const base = variants.find((v) => v.label.startsWith("baseline"));
  const current = variants.find((v) => !v.label.startsWith("baseline"));
  for (const { name, size: n } of CASES) {
    const reps = n <= 256 ? 16 : n <= 512 ? 4 : 2;
    const old = best.get(`${base?.label} ${name} ×${reps}`),
      now = best.get(`${current?.label} ${name} ×${reps}`);
    if (old && now) ratios[name] = +(old.seconds / now.seconds).toFixed(2);
  }
  if (Object.keys(ratios).length > 0) {
    console.log(`Speed-up over ${base!.label} (same run): ${JSON.stringify(ratios)}`);
  }
  const report = {
    createdAt: new Date().toISOString(),
    adapter: gpu?.adapterInfo ?? null,
    family: gpu?.gemmFamily ?? null,
    config: gpu?.gemmFamily === "tiled" ? gpu.tiledConfig : {
      operands: "rgba32float K-major textures",
      outputsPerInvocation: [16, 16],
      workgroup: [8, 4],
      kStep: 4,
    },
    hardwareConcurrency: navigator.hardwareConcurrency,
    baseline: baselineRev,
    results: rows,
    speedupOverBaseline: ratios,
  };
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/matmul.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n",
  );
});
