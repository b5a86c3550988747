/**
 * Peak memory of document scoring as the corpus grows: the same micro experiment (one setup, hidden 16,
 * 6 query rows) with 1,000 and 10,000 scored documents. Each size first runs every stage before
 * `scores` (not measured), then `--force=scores` in a child process whose resident set is sampled every
 * 50 ms; the peak is compared with what grows with the corpus by design: the tokens read (4 bytes per
 * token) and the score matrices kept (f64 chunks and f32 outputs: [rows × documents] for the raw, per-nat,
 * norm-normalised scores and each tracked layer's part, plus norms).
 *
 * Run: `deno bench -A bench/memory_bench.ts` (a few minutes on llvmpipe; `MEMBENCH_SIZES=1000,10000,30000`
 * for more sizes, smallest first). Prints a table and writes
 * `bench/out/memory.json`.
 */
import { join } from "node:path";

/** Corpus sizes, smallest first (`MEMBENCH_SIZES=1000,10000,30000` to add a size). */
const SIZES = (Deno.env.get("MEMBENCH_SIZES") ?? "1000,10000").split(",").map(Number);
const manifest = (documents: number) =>
  `{
  "experiment": "membench",
  "world": { "documents": ${documents}, "facts": { "count": 20 } },
  "queries": { "factualPool": 4, "arithmetic": 2, "slopes": 0, "linear": 0, "factualControl": 0, "reasoningControl": 0 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 2, "batchSize": 2, "warmupSteps": 1 },
    "maxCompletionTokens": 4,
    "querySets": ["factual", "arithmetic"],
    "influence": { "scoreChunkDocuments": 256, "fitDocuments": 16 }
  },
  "setups": { "7B": {} }
}`;

async function run(dir: string, extra: string[], sample: boolean): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "experiments/cli/experiment.ts",
      join(dir, "m.jsonc"),
      "--cache",
      join(dir, "c"),
      "--out",
      join(dir, "r"),
      "--setup",
      "7B",
      ...extra,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let peak = 0;
  const timer = sample
    ? setInterval(() => {
      try {
        const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
      } catch { /* the process has exited */ }
    }, 50)
    : undefined;
  const status = await child.status;
  clearInterval(timer);
  if (!status.success) throw new Error(`experiment failed in ${dir}`);
  return peak;
}

/** Per size; `deno bench` may repeat the run, so every repetition's peak is kept. */
const rows: {
  documents: number;
  tokens: number;
  peakRss: number[];
  scoreBytes: number;
  tokenBytes: number;
}[] = [];
Deno.bench({
  name: `scores stage peak RSS at ${SIZES.join(", ")} documents`,
  n: 1,
  warmup: 0,
  async fn() {
    for (const documents of SIZES) {
      const dir = await Deno.makeTempDir();
      await Deno.writeTextFile(join(dir, "m.jsonc"), manifest(documents));
      await run(dir, ["--force=scores"], false);
      const peakRss = await run(dir, ["--force=scores"], true);
      const root = join(dir, "c", "membench", "scores@7B");
      const key = JSON.parse(await Deno.readTextFile(join(root, "last.json"))).key;
      const meta = JSON.parse(await Deno.readTextFile(join(root, key, "meta.json")));
      const tokenize = join(dir, "c", "membench", "tokenize");
      const tkey = JSON.parse(await Deno.readTextFile(join(tokenize, "last.json"))).key;
      const tokens =
        JSON.parse(await Deno.readTextFile(join(tokenize, tkey, "meta.json"))).summary.documentTokens;
      const q = meta.summary.queries as number;
      // f64 chunk results (scores, per-layer ×3, norms) + f32 outputs (scores, per_nat, norm_normalised, per-layer ×3).
      const scoreBytes = q * documents * (8 * 4 + 4 * 6) + documents * 12;
      const row = rows.find((r) => r.documents === documents);
      if (row) row.peakRss.push(peakRss);
      else rows.push({ documents, tokens, peakRss: [peakRss], scoreBytes, tokenBytes: tokens * 4 });
      await Deno.remove(dir, { recursive: true });
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (rows.length < 2) return;
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  const low = (r: typeof rows[number]) => Math.min(...r.peakRss);
  console.log("\ndocuments  tokens     peak RSS MB (each run)   score matrices MB  tokens MB");
  for (const r of rows) {
    console.log(
      `${String(r.documents).padEnd(10)} ${String(r.tokens).padEnd(10)} ${
        r.peakRss.map(mb).join(", ").padEnd(24)
      } ${mb(r.scoreBytes).padEnd(18)} ${mb(r.tokenBytes)}`,
    );
  }
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[0], rows[i]];
    console.log(
      `${a.documents} -> ${b.documents} documents: the lowest peak grew ${mb(low(b) - low(a))} MB; ` +
        `score matrices + tokens grew ${mb(b.scoreBytes + b.tokenBytes - a.scoreBytes - a.tokenBytes)} MB`,
    );
  }
  Deno.mkdirSync("bench/out", { recursive: true });
  Deno.writeTextFileSync("bench/out/memory.json", JSON.stringify(rows, null, 2) + "\n");
});
