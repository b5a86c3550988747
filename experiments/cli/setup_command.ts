import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadManifest, type ResolvedManifest, type ResolvedSetup } from "../manifest/load_manifest.ts";
import { runPlan } from "../run/run_plan.ts";
import { UserError } from "../run/user_error.ts";
import { type Artifact } from "../run/stage.ts";
import { tokenizeStage, worldStage } from "../stages/mod.ts";
import { DEFAULT_MANIFEST } from "./experiment.ts";

/** What a one-setup command (`train`, `export`) starts from. */
export interface SetupCommand {
  manifest: ResolvedManifest;
  setup: ResolvedSetup;
  /** `--out`, when given. */
  out: string | undefined;
  /** Stage cache root of the experiment. */
  cacheRoot: string;
  /** The world and tokenize artifacts (computed or found in the cache). */
  world: Artifact;
  tokenize: Artifact;
}

/**
 * Parses the arguments shared by the one-setup commands (`[MANIFEST] --setup NAME [--out DIR]
 * [--set PATH=VALUE]... [--cache DIR]`), loads the manifest, picks the setup and makes sure the world and
 * its tokens exist.
 *
 * @param args Command-line arguments.
 * @param help Help text printed for `--help`.
 * @returns The resolved command, or null after printing the help.
 * @throws {UserError} When no setup or an unknown one is named.
 */
export async function setupCommand(args: string[], help: string): Promise<SetupCommand | null> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      setup: { type: "string" },
      out: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      cache: { type: "string", default: ".cache" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return null;
  }
  if (positionals.length > 1) {
    throw new UserError(`Expected at most one manifest, got ${positionals.join(", ")}`);
  }
  const manifest = await loadManifest(positionals[0] ?? DEFAULT_MANIFEST, values.set);
  const setup = manifest.setups.find((s) => s.name === values.setup);
  if (!setup) {
    throw new UserError(
      `--setup must name a setup of "${manifest.file}" (${manifest.setups.map((s) => s.name).join(", ")}), ` +
        `got ${values.setup === undefined ? "nothing" : `"${values.setup}"`}`,
    );
  }
  const cacheRoot = join(values.cache, manifest.experiment);
  const plan = await runPlan(manifest, [worldStage, tokenizeStage], { cacheRoot });
  return {
    manifest,
    setup,
    out: values.out,
    cacheRoot,
    world: plan.artifacts.get("world")!,
    tokenize: plan.artifacts.get("tokenize")!,
  };
}
