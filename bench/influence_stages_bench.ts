/**
 * Wall time of the 7B setup's influence stages (covariances, factors, query_gradients, scores) of the
 * default study (`experiments/procedural-knowledge.jsonc`) on the same inputs, beside a **baseline**: the
 * project as of commit {@linkcode BASELINE_REV} (or `INFLUENCE_BENCH_BASELINE=<rev>`; `none` skips it),
 * extracted with `git archive` into a temporary folder and run from there in the same bench run.
 *
 * The stages before them (world, tokenize, model, complete) run once, with the current code, into a
 * cache that each variant gets a copy of (their stage versions are the same at the baseline, so both
 * variants find them cached); each variant then runs `experiment.ts --until scores --setup 7B` as a
 * child process, and the stage seconds are read from the artifacts' `meta.json`. Variants alternate
 * order across repeats (`INFLUENCE_BENCH_REPEATS`, default 1). Afterwards the two variants' `scores`
 * tensors are compared bit for bit. `INFLUENCE_BENCH_DOCUMENTS=N` scores a smaller world (N scored
 * documents) for a shorter run. A table is printed and written to `bench/out/influence_stages.json`.
 *
 * Run: `deno bench -A bench/influence_stages_bench.ts` (minutes: every stage of both variants runs).
 *
 * @module
 */
import { join } from "node:path";
import { readSafetensors } from "../engine/io/mod.ts";

/** The project before this round's influence work (the baseline's commit). */
const BASELINE_REV = "7b8cf26f34c5a47127fda2614655af182b8e0772";
const STAGES = ["covariances", "factors", "query_gradients", "scores"];
const SETUP = "7B";
const baselineRev = Deno.env.get("INFLUENCE_BENCH_BASELINE") ?? BASELINE_REV;
const repeats = Number(Deno.env.get("INFLUENCE_BENCH_REPEATS") ?? "1");
const documents = Deno.env.get("INFLUENCE_BENCH_DOCUMENTS");
const sets = documents ? ["--set", `world.documents=${documents}`] : [];
const root = new URL("..", import.meta.url).pathname;

async function sh(cwd: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(args[0], {
    args: args.slice(1),
    cwd,
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp/xdg" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${args.join(" ")} (in ${cwd}) failed: ${new TextDecoder().decode(stderr).slice(-2000)}`);
  }
}

const experiment = (cwd: string, cache: string, until: string) =>
  sh(cwd, [
    Deno.execPath(),
    "run",
    "-A",
    "experiments/cli/experiment.ts",
    "experiments/procedural-knowledge.jsonc",
    ...sets,
    "--until",
    until,
    "--setup",
    SETUP,
    "--cache",
    cache,
    "--out",
    join(cache, "reports"),
  ]);

/** The one artifact folder of a stage instance in a cache (the run's only key). */
async function artifactOf(cache: string, instance: string): Promise<string> {
  const dir = join(cache, "procedural-knowledge", instance);
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !e.name.includes(".")) return join(dir, e.name);
  }
  throw new Error(`${dir}: no artifact`);
}

/** Whether the stages ran: `deno bench` may call a bench more than once (calibration), and once is minutes. */
let ran = false;

interface Run {
  variant: string;
  seconds: Record<string, number>;
  total: number;
  scores: Float32Array;
}

Deno.bench({
  name: `7B influence stages (${STAGES.join(", ")}), baseline ${baselineRev.slice(0, 7)}`,
  n: 1,
  warmup: 0,
  async fn() {
    if (ran) return;
    ran = true;
    const tmp = await Deno.makeTempDir({ prefix: "influence-stages-bench-" });
    const prep = join(tmp, "cache-prep");
    await experiment(root, prep, "complete");
    const variants: { label: string; dir: string }[] = [{ label: "current", dir: root }];
    if (baselineRev !== "none") {
      const dir = join(tmp, "baseline");
      await Deno.mkdir(dir);
      await sh(root, ["sh", "-c", `git archive "${baselineRev}" | tar -x -C "${dir}"`]);
      variants.unshift({ label: `baseline ${baselineRev.slice(0, 7)}`, dir });
    }
    const runs: Run[] = [];
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const cache = join(tmp, `cache-${r}-${runs.length}`);
        await sh(tmp, ["cp", "-r", prep, cache]);
        await experiment(v.dir, cache, "scores");
        const seconds: Record<string, number> = {};
        for (const stage of STAGES) {
          const meta = JSON.parse(
            await Deno.readTextFile(join(await artifactOf(cache, `${stage}@${SETUP}`), "meta.json")),
          );
          seconds[stage] = meta.seconds;
        }
        const file = readSafetensors(
          await Deno.readFile(join(await artifactOf(cache, `scores@${SETUP}`), "scores.safetensors")),
        );
        const total = Object.values(seconds).reduce((a, b) => a + b, 0);
        runs.push({
          variant: v.label,
          seconds,
          total,
          scores: file.tensors.get("scores")!.data as Float32Array,
        });
        console.log(
          `${v.label}: ${total.toFixed(1)} s (${
            STAGES.map((s) => `${s} ${seconds[s].toFixed(1)}`).join(", ")
          })`,
        );
        await Deno.remove(cache, { recursive: true });
      }
    }
    const current = runs.filter((r) => r.variant === "current");
    const baseline = runs.filter((r) => r.variant !== "current");
    let identical: boolean | null = null, maxRelative = 0;
    if (baseline.length > 0) {
      const [a, b] = [baseline[0].scores, current[0].scores];
      identical = a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
      const scale = a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        maxRelative = Math.max(maxRelative, Math.abs(a[i] - b[i]) / scale);
      }
    }
    const mean = (rs: Run[], pick: (r: Run) => number) => rs.reduce((s, r) => s + pick(r), 0) / rs.length;
    const rows = STAGES.map((s) => ({
      stage: s,
      current: mean(current, (r) => r.seconds[s]),
      baseline: baseline.length > 0 ? mean(baseline, (r) => r.seconds[s]) : null,
    }));
    rows.push({
      stage: "total",
      current: mean(current, (r) => r.total),
      baseline: baseline.length > 0 ? mean(baseline, (r) => r.total) : null,
    });
    console.log(
      `\n7B influence stages, ${documents ?? "default"} documents, ${repeats} repeat(s), load ${
        Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
      }`,
    );
    for (const r of rows) {
      console.log(
        `  ${r.stage.padEnd(16)} current ${r.current.toFixed(1).padStart(7)} s` +
          (r.baseline === null
            ? ""
            : `   baseline ${r.baseline.toFixed(1).padStart(7)} s   ${(r.baseline / r.current).toFixed(2)}×`),
      );
    }
    if (identical !== null) {
      console.log(
        `  scores vs baseline: ${identical ? "bit-identical" : `max |Δ| / max |score| = ${maxRelative}`}`,
      );
    }
    await Deno.mkdir(join(root, "bench/out"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "bench/out/influence_stages.json"),
      JSON.stringify(
        {
          baseline: baselineRev,
          documents: documents ?? "default",
          repeats,
          runs: runs.map(({ scores: _s, ...r }) => r),
          stages: rows,
          scoresBitIdentical: identical,
          scoresMaxRelativeDifference: maxRelative,
          loadAverage: Deno.loadavg(),
        },
        null,
        2,
      ) + "\n",
    );
    await Deno.remove(tmp, { recursive: true });
  },
});
