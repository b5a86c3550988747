import { join } from "node:path";
import { loadManifest, type ResolvedManifest, type ResolvedSetup } from "../manifest/load_manifest.ts";
import { runPlan } from "../run/run_plan.ts";
import { UserError } from "../run/user_error.ts";
import type { Artifact } from "../run/stage.ts";
import { tokenizeStage, worldStage } from "../stages/mod.ts";
import { checkOutputFolder } from "../run/output_folder.ts";
import { DEFAULT_MANIFEST } from "./experiment.ts";
import { parseFlags } from "./parse_flags.ts";

/** What a one-setup command (`train`, `export`) starts from. */
export interface SetupCommand {
  manifest: ResolvedManifest;
  setup: ResolvedSetup;
  /** `--out`, when given. */
  out: string | undefined;
  /** `--force`, for commands that accept it. */
  force: boolean;
  /** Stage cache root of the experiment. */
  cacheRoot: string;
  /** The world and tokenize artifacts (computed or found in the cache). */
  world: Artifact;
  tokenize: Artifact;
}

/** What a one-setup command accepts beyond the shared flags. */
export interface SetupCommandOptions {
  /** The message when `--out` is missing; omitted, `--out` is optional. */
  requireOut?: string;
  /** Whether the command takes `--force`. */
  force?: boolean;
  /** A check of the loaded manifest and setup that runs before any stage (it throws to refuse). */
  check?: (command: Pick<SetupCommand, "manifest" | "setup" | "out" | "force">) => Promise<void>;
}

/**
 * Parses the arguments shared by the one-setup commands (`[MANIFEST] --setup NAME [--out DIR]
 * [--set PATH=VALUE]... [--cache DIR]`), loads the manifest, picks the setup and makes sure the world and
 * its tokens exist.
 *
 * @param args Command-line arguments.
 * @param help Help text printed for `--help`.
 * @param options What else the command accepts or requires.
 * @returns The resolved command, or null after printing the help.
 * @throws {UserError} When no setup or an unknown one is named, a required `--out` is missing, or
 * `--out`/`--cache` cannot be a folder; all before anything runs.
 */
export async function setupCommand(
  args: string[],
  help: string,
  options: SetupCommandOptions = {},
): Promise<SetupCommand | null> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      setup: { type: "string" },
      out: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      cache: { type: "string", default: ".cache" },
      help: { type: "boolean", short: "h", default: false },
      ...(options.force ? { force: { type: "boolean" as const, default: false } } : {}),
    },
  });
  if (values.help) {
    console.log(help);
    return null;
  }
  if (positionals.length > 1) {
    throw new UserError(`Expected at most one manifest, got ${positionals.join(", ")}; see --help`);
  }
  if (options.requireOut && values.out === undefined) throw new UserError(options.requireOut);
  if (values.out !== undefined) await checkOutputFolder(values.out, "--out");
  await checkOutputFolder(values.cache, "--cache");
  const manifest = await loadManifest(positionals[0] ?? DEFAULT_MANIFEST, values.set);
  const setup = manifest.setups.find((s) => s.name === values.setup);
  if (!setup) {
    throw new UserError(
      `--setup must name a setup of "${manifest.file}" (${manifest.setups.map((s) => s.name).join(", ")}), ` +
        `got ${values.setup === undefined ? "nothing" : `"${values.setup}"`}`,
    );
  }
  const force = (values as { force?: boolean }).force === true;
  await options.check?.({ manifest, setup, out: values.out, force });
  const cacheRoot = join(values.cache, manifest.experiment);
  const plan = await runPlan(manifest, [worldStage, tokenizeStage], { cacheRoot });
  return {
    manifest,
    setup,
    out: values.out,
    force,
    cacheRoot,
    world: plan.artifacts.get("world")!,
    tokenize: plan.artifacts.get("tokenize")!,
  };
}
