/**
 * GEMM throughput of the device's GEMM family beside a plain TypeScript i-k-j loop, at 256³, 512³,
 * 1024³ (NN) and 1024³ NT / TN. Each GPU iteration records several products (×N in the name) into
 * one submission and waits for completion (`Gpu.sync()`), so timings include the GPU finishing its
 * work but only one ~10 ms round trip per iteration; the TypeScript loop runs the same count.
 *
 * Run: `deno bench -A bench/matmul_bench.ts`. After the run a GFLOP/s table is printed and written to
 * `bench/out/matmul.json` with the adapter identity and the kernel configuration.
 */
import { acquireDevice, type Gpu, matmul, Tensor } from "../engine/mod.ts";

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

for (const { name, size: n, transA, transB } of CASES) {
  const flops = 2 * n ** 3;
  const group = `gemm ${name}`;
  // Products per iteration: the same for the GPU and the TypeScript loop so that the summary's ratio
  // compares equal work; several per submission amortise the ~10 ms completion round trip.
  const reps = n <= 256 ? 16 : n <= 512 ? 4 : 2;
  if (gpu !== null) {
    const a = Tensor.from(gpu, random(n * n, 1), [n, n]);
    const b = Tensor.from(gpu, random(n * n, 2), [n, n]);
    const c = Tensor.zeros(gpu, [n, n]);
    const benchName = `${gpu.gemmFamily} ${name} ×${reps}`;
    Deno.bench({
      name: benchName,
      group,
      n: 5,
      warmup: 1,
      async fn(t) {
        t.start();
        const start = performance.now();
        for (let r = 0; r < reps; r++) matmul(a, b, c, { transA, transB });
        await gpu!.sync();
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
  const report = {
    createdAt: new Date().toISOString(),
    adapter: gpu?.adapterInfo ?? null,
    family: gpu?.gemmFamily ?? null,
    config: gpu?.gemmFamily === "tiled" ? gpu.tiledConfig : {
      operands: "rgba32float K-major textures",
      outputsPerInvocation: [8, 16],
      workgroup: [8, 8],
      kStep: 8,
    },
    hardwareConcurrency: navigator.hardwareConcurrency,
    results: rows,
  };
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeTextFileSync(
    new URL("./out/matmul.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n",
  );
});
