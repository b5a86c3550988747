import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadManifest } from "../manifest/load_manifest.ts";
import { runPlan } from "../run/run_plan.ts";
import { UserError } from "../run/user_error.ts";
import { formatSeconds } from "../run/progress.ts";
import { STAGES } from "../stages/mod.ts";
import { publishReport } from "../stages/publish_report.ts";
import { runCli } from "./run_cli.ts";

/** Default manifest of `deno task experiment`. */
export const DEFAULT_MANIFEST = "experiments/procedural-knowledge.jsonc";

const HELP = `Usage: deno task experiment [MANIFEST] [options]

Runs an experiment manifest's stages (cached ones are skipped) and writes a versioned report to
<out>/<experiment>/<runId>/, updating <out>/<experiment>/latest.json.

  MANIFEST              manifest file (default ${DEFAULT_MANIFEST})
  --dry-run             print each stage as cached or run, with the reason; run nothing
  --force[=STAGE]       recompute every stage, or only STAGE (repeatable)
  --set PATH=VALUE      override a manifest field, e.g. --set influence.strategy=kfac (repeatable)
  --setup NAME          run per-setup stages only for this setup (repeatable)
  --out DIR             reports root (default reports)
  --cache DIR           stage cache root (default .cache)
  -h, --help            show this help
`;

async function main(): Promise<number> {
  const argv = Deno.args.flatMap((a) => a.startsWith("--force=") ? ["--force-stage", a.slice(8)] : [a]);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "force-stage": { type: "string", multiple: true, default: [] },
      set: { type: "string", multiple: true, default: [] },
      setup: { type: "string", multiple: true },
      out: { type: "string", default: "reports" },
      cache: { type: "string", default: ".cache" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UserError(`Expected at most one manifest, got ${positionals.join(", ")}`);
  }
  const manifest = await loadManifest(positionals[0] ?? DEFAULT_MANIFEST, values.set);
  const known = new Set(STAGES.map((s) => s.name));
  for (const s of values["force-stage"]) {
    if (!known.has(s)) {
      throw new UserError(`--force=${s}: no such stage; stages are ${[...known].join(", ")}`);
    }
  }
  for (const s of values.setup ?? []) {
    if (!manifest.setups.some((x) => x.name === s)) {
      throw new UserError(
        `--setup ${s}: "${manifest.file}" has no such setup; it has ${
          manifest.setups.map((x) => x.name).join(", ")
        }`,
      );
    }
  }
  const result = await runPlan(manifest, STAGES, {
    cacheRoot: join(values.cache, manifest.experiment),
    dryRun: values["dry-run"],
    force: values.force ? true : values["force-stage"],
    setups: values.setup,
  });
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

if (import.meta.main) await runCli(main);
