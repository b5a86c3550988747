import { join } from "node:path";
import { loadManifest } from "../manifest/load_manifest.ts";
import { runPlan } from "../run/run_plan.ts";
import { UserError } from "../run/user_error.ts";
import { formatSeconds, prefixLines } from "../run/progress.ts";
import { STAGES } from "../stages/mod.ts";
import { publishReport } from "../stages/publish_report.ts";
import { checkOutputFolder } from "../run/output_folder.ts";
import { parseFlags } from "./parse_flags.ts";
import { runCli } from "./run_cli.ts";

/** Default manifest of `deno task experiment`. */
export const DEFAULT_MANIFEST = "experiments/procedural-knowledge.jsonc";

const HELP = `Usage: deno task experiment [MANIFEST] [options]

Runs an experiment manifest's stages (cached ones are skipped) and writes a versioned report to
<out>/<experiment>/<runId>/, updating <out>/<experiment>/latest.json.

  MANIFEST              manifest file (default ${DEFAULT_MANIFEST})
  --dry-run             print each stage as cached or run, with the reason; run nothing
  --force[=STAGE]       recompute every stage, or only STAGE (repeatable)
  --set PATH=VALUE      override a manifest field, e.g. --set setupDefaults.influence.strategy=kfac
                        (repeatable)
  --setup NAME          run per-setup stages only for this setup (repeatable)
  --until STAGE         run only STAGE and the stages it needs (e.g. --until complete: the world, the
                        tokens, the models and their completions, as CI's prepare job does once for
                        every shard job)
  --shard I/N           run the shardable stages (the fit's two passes, document scoring) for slice
                        I of N only; stages that need every slice wait (run each shard, e.g. as CI
                        jobs, then merge)
  --merge-shards N      build the sharded stages' outputs from their N finished shards, then go on;
                        a sharded stage that needs those outputs waits for the next round of shards
                        (three rounds: covariances, factors, scores)
  --shards N            run N shards as local processes and merge, round after round (same result
                        as no sharding)
  --out DIR             reports root (default reports)
  --cache DIR           stage cache root (default .cache)
  -h, --help            show this help
`;

async function main(): Promise<number> {
  const argv = Deno.args.flatMap((a) => a.startsWith("--force=") ? ["--force-stage", a.slice(8)] : [a]);
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "force-stage": { type: "string", multiple: true, default: [] },
      set: { type: "string", multiple: true, default: [] },
      setup: { type: "string", multiple: true },
      until: { type: "string" },
      out: { type: "string", default: "reports" },
      shard: { type: "string" },
      "merge-shards": { type: "string" },
      shards: { type: "string" },
      cache: { type: "string", default: ".cache" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UserError(`Expected at most one manifest, got ${positionals.join(", ")}; see --help`);
  }
  await checkOutputFolder(values.out, "--out");
  await checkOutputFolder(values.cache, "--cache");
  const manifest = await loadManifest(positionals[0] ?? DEFAULT_MANIFEST, values.set);
  const known = new Set(STAGES.map((s) => s.name));
  for (const s of values["force-stage"]) {
    if (!known.has(s)) {
      throw new UserError(`--force=${s}: no such stage; stages are ${[...known].join(", ")}`);
    }
  }
  if (values.until !== undefined && !known.has(values.until)) {
    throw new UserError(`--until ${values.until}: no such stage; stages are ${[...known].join(", ")}`);
  }
  const stages = values.until === undefined ? STAGES : stagesUntil(values.until);
  for (const s of values.setup ?? []) {
    if (!manifest.setups.some((x) => x.name === s)) {
      throw new UserError(
        `--setup ${s}: "${manifest.file}" has no such setup; it has ${
          manifest.setups.map((x) => x.name).join(", ")
        }`,
      );
    }
  }
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const count = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^[1-9]\d*$/.test(v)) throw new UserError(`--${flag} must be a positive integer, got "${v}"`);
    return Number(v);
  };
  let mergeShards = count("merge-shards", values["merge-shards"]);
  const local = count("shards", values.shards);
  if ([shard, mergeShards, local].filter((x) => x !== undefined).length > 1) {
    throw new UserError("--shard, --merge-shards and --shards exclude each other");
  }
  const plan = (round: number) =>
    runPlan(manifest, stages, {
      cacheRoot: join(values.cache, manifest.experiment),
      dryRun: values["dry-run"],
      // Later rounds of --shards reuse what the first computed.
      force: round > 1 ? undefined : values.force ? true : values["force-stage"],
      setups: values.setup,
      shard,
      mergeShards,
    });
  let result: Awaited<ReturnType<typeof plan>>;
  if (local !== undefined && !values["dry-run"]) {
    // Rounds: shards, then merge, until no sharded stage waits (a chain of sharded stages, such as the
    // fit's covariances and Λ passes and then document scoring, takes one round per link).
    mergeShards = local;
    for (let round = 1;; round++) {
      await runLocalShards(local, round > 1);
      result = await plan(round);
      if (!result.entries.some((e) => e.status === "waiting")) break;
      if (round >= MAX_SHARD_ROUNDS) {
        throw new Error(`--shards ${local}: stages still wait after ${round} rounds`);
      }
    }
  } else result = await plan(1);
  const width = Math.max(...result.entries.map((e) => e.instance.length));
  for (const e of result.entries) {
    const status = e.status === "ran" ? `ran ${formatSeconds(e.seconds)}` : e.status;
    console.log(`${e.instance.padEnd(width)}  ${status.padEnd(10)}  ${e.reason}`);
  }
  if (values["dry-run"]) return 0;
  const report = result.artifacts.get("report");
  if (report) {
    const published = await publishReport(report, values.out);
    console.log(`report: ${published}`);
  }
  return 0;
}

/**
 * A stage and every stage it needs, transitively, in pipeline order.
 *
 * @param name A stage name.
 * @returns Those stages.
 */
export function stagesUntil(name: string): typeof STAGES {
  const byName = new Map(STAGES.map((s) => [s.name, s]));
  const needed = new Set<string>();
  const visit = (n: string) => {
    if (needed.has(n)) return;
    needed.add(n);
    for (const dep of byName.get(n)?.deps ?? []) visit(dep);
  };
  visit(name);
  return STAGES.filter((s) => needed.has(s.name));
}

/** Most rounds of shards and merges `--shards N` runs (the stage graph needs three). */
const MAX_SHARD_ROUNDS = 5;

/** Parses `I/N` (1 ≤ I ≤ N). */
function parseShard(text: string): { index: number; count: number } {
  const m = /^([1-9]\d*)\/([1-9]\d*)$/.exec(text);
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new UserError(`--shard must be I/N with 1 ≤ I ≤ N (e.g. 2/4), got "${text}"`);
  }
  return { index: Number(m[1]), count: Number(m[2]) };
}

/**
 * Runs this command once per shard as child processes, failing if any shard fails. Shard 1 runs alone
 * first (it also computes every stage before the sharded ones); the others then run at once, finding
 * those stages cached, so no two processes write the same artifact: they are forced (when `--force`
 * was given) only for the shardable stages, whose artifacts are their own. Each child's messages and
 * progress come as whole lines prefixed with its shard, e.g. `[shard 2/4] `.
 */
async function runLocalShards(n: number, dropForce: boolean): Promise<void> {
  const isForce = (a: string) => a === "--force" || a.startsWith("--force=");
  const base = Deno.args.filter((a, i, all) =>
    a !== "--shards" && all[i - 1] !== "--shards" && !a.startsWith("--shards=") && !isForce(a)
  );
  const forced = dropForce ? [] : Deno.args.filter(isForce);
  const shardable = STAGES.filter((s) => s.shards).map((s) => s.name);
  const othersForced = forced.flatMap((a) =>
    a === "--force" ? shardable.map((s) => `--force=${s}`) : shardable.includes(a.slice(8)) ? [a] : []
  );
  const enc = new TextEncoder();
  const spawn = async (i: number) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        import.meta.filename!,
        ...base,
        ...(i === 1 ? forced : othersForced),
        "--shard",
        `${i}/${n}`,
      ],
      stdout: "null",
      // Piped, the child's stderr is no terminal, so its progress comes as whole lines (no redraws),
      // which are copied here one at a time under the shard's name.
      stderr: "piped",
    }).spawn();
    const [status] = await Promise.all([
      child.status,
      prefixLines(child.stderr, `[shard ${i}/${n}] `, (line) => Deno.stderr.writeSync(enc.encode(line))),
    ]);
    return status.code === 0 ? [] : [`${i}/${n}`];
  };
  const failed = await spawn(1);
  if (failed.length === 0) {
    failed.push(...(await Promise.all(Array.from({ length: n - 1 }, (_, i) => spawn(i + 2)))).flat());
  }
  if (failed.length > 0) throw new UserError(`Shard ${failed.join(", ")} failed; see the messages above`);
}

if (import.meta.main) await runCli(main);
