/**
 * Tile sweep of the tiled GEMM family (the real-GPU family) on the current adapter: GFLOP/s of each
 * candidate {@linkcode TiledConfig} at several square sizes, NN and NT (the layouts the model's
 * forward and backward use most), with a sampled float64 check of every configuration's output.
 *
 * Every configuration accumulates each output over k in the same order (one fma per k), so they give
 * bit-identical results and the choice affects speed only; the check below guards the kernel's
 * indexing for tile shapes that the unit tests do not cover.
 *
 * Run: `deno run -A bench/gemm_tune.ts` (sizes from `GEMM_TUNE_SIZES`, default `512,1024`; on a real
 * GPU use `1024,2048,4096`). Prints a table and writes `bench/out/gemm_tune.json` with the adapter,
 * its limits and the best configuration per size. If `GEMM_PEAK_GFLOPS` is set (the card's FP32 peak),
 * each figure is also given as a share of it.
 *
 * @module
 */
import {
  acquireDevice,
  matmul,
  readTensors,
  Tensor,
  type TiledConfig,
  validateTiledConfig,
} from "../engine/mod.ts";

const CANDIDATES: TiledConfig[] = [
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4 },
  { tileM: 64, tileN: 64, tileK: 8, threadM: 4, threadN: 4 },
  { tileM: 64, tileN: 64, tileK: 32, threadM: 4, threadN: 4 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 },
  { tileM: 64, tileN: 128, tileK: 16, threadM: 4, threadN: 8 },
  { tileM: 128, tileN: 128, tileK: 8, threadM: 8, threadN: 8 },
  { tileM: 128, tileN: 128, tileK: 16, threadM: 8, threadN: 8 },
  { tileM: 128, tileN: 128, tileK: 32, threadM: 8, threadN: 8 },
  { tileM: 128, tileN: 64, tileK: 16, threadM: 4, threadN: 4 },
  { tileM: 32, tileN: 64, tileK: 16, threadM: 2, threadN: 4 },
];

const sizes = (Deno.env.get("GEMM_TUNE_SIZES") ?? "512,1024").split(",").map(Number);
const peak = Number(Deno.env.get("GEMM_PEAK_GFLOPS") ?? "0");
const reps = Number(Deno.env.get("GEMM_TUNE_REPS") ?? "5");

const label = (c: TiledConfig) => `${c.tileM}x${c.tileN}x${c.tileK}/${c.threadM}x${c.threadN}`;

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
}

const gpu = await acquireDevice({ powerPreference: "high-performance" });
console.log(`adapter: ${gpu.adapterInfo.description || gpu.adapterInfo.device} (${gpu.adapterInfo.vendor})`);
const rows: { size: number; layout: string; config: string; ms: number; gflops: number; maxError: number }[] =
  [];
const rejected: { config: string; reason: string }[] = [];

for (const n of sizes) {
  const ha = random(n * n, 1), hb = random(n * n, 2);
  const a = Tensor.from(gpu, ha, [n, n]);
  const b = Tensor.from(gpu, hb, [n, n]);
  const c = Tensor.zeros(gpu, [n, n]);
  // Products per timed submission: enough to hide the ~ms submission round trip at small sizes.
  const perSubmit = Math.max(1, Math.round(2 ** 33 / (2 * n ** 3)));
  for (const transB of [false, true]) {
    for (const config of CANDIDATES) {
      try {
        validateTiledConfig(gpu, config);
      } catch (error) {
        if (n === sizes[0] && !transB) {
          rejected.push({ config: label(config), reason: (error as Error).message });
        }
        continue;
      }
      matmul(a, b, c, { transB, family: "tiled", tiled: config });
      const [out] = await readTensors(c);
      // Sampled check against float64: 64 entries spread over the matrix.
      let maxError = 0;
      for (let s = 0; s < 64; s++) {
        const i = (s * 7919) % n, j = (s * 104729 + 13) % n;
        let want = 0;
        for (let k = 0; k < n; k++) want += ha[i * n + k] * (transB ? hb[j * n + k] : hb[k * n + j]);
        maxError = Math.max(maxError, Math.abs(want - (out as Float32Array)[i * n + j]));
      }
      let bestSeconds = Infinity;
      for (let r = 0; r < reps; r++) {
        const start = performance.now();
        for (let p = 0; p < perSubmit; p++) matmul(a, b, c, { transB, family: "tiled", tiled: config });
        await gpu.sync();
        bestSeconds = Math.min(bestSeconds, (performance.now() - start) / 1e3 / perSubmit);
      }
      const gflops = 2 * n ** 3 / bestSeconds / 1e9;
      rows.push({
        size: n,
        layout: transB ? "NT" : "NN",
        config: label(config),
        ms: +(bestSeconds * 1e3).toFixed(3),
        gflops: +gflops.toFixed(1),
        maxError,
      });
      const share = peak > 0 ? ` ${(100 * gflops / peak).toFixed(1).padStart(5)}% of peak` : "";
      console.log(
        `${(transB ? "NT " : "NN ") + String(n).padStart(5)} ${label(config).padEnd(18)} ` +
          `${gflops.toFixed(1).padStart(9)} GFLOP/s${share}  max |err| ${maxError.toExponential(1)}`,
      );
    }
  }
  a.destroy(), b.destroy(), c.destroy();
}

const best: Record<string, { config: string; gflops: number }> = {};
for (const r of rows) {
  const key = `${r.layout} ${r.size}`;
  if (!(key in best) || r.gflops > best[key].gflops) best[key] = { config: r.config, gflops: r.gflops };
}
console.log("\nBest per size:");
for (const [key, { config, gflops }] of Object.entries(best)) {
  console.log(`  ${key.padEnd(9)} ${config} ${gflops} GFLOP/s`);
}
for (const r of rejected) console.log(`  rejected ${r.config}: ${r.reason}`);
Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
Deno.writeTextFileSync(
  new URL("./out/gemm_tune.json", import.meta.url),
  JSON.stringify(
    {
      createdAt: new Date().toISOString(),
      adapter: gpu.adapterInfo,
      limits: {
        maxComputeInvocationsPerWorkgroup: gpu.limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupStorageSize: gpu.limits.maxComputeWorkgroupStorageSize,
      },
      peakGflops: peak || null,
      results: rows,
      best,
      rejected,
    },
    null,
    2,
  ) + "\n",
);
await gpu.destroy();
