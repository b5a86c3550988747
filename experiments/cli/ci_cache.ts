/**
 * `deno run --allow-read --allow-write --allow-env experiments/cli/ci_cache.ts COMMAND …`: what the sharded GitHub
 * workflow moves between its jobs, so that no job uploads or downloads more of the stage cache than its
 * round needs.
 *
 * - `list CACHE`: the finished artifact folders under the cache root (`<experiment>/<instance>/<key>`, one
 *   per line, sorted); a shard job lists them before it runs.
 * - `slice CACHE LIST OUT`: copies into OUT (same relative paths) the finished artifact folders that are
 *   not in LIST — what the shard job added: its slice of the round's sharded stage.
 * - `prune-shards CACHE`: removes the shard artifacts (a `shard` among their settings) once their merge
 *   is in the cache, so the merged cache the next round downloads carries no slices.
 *
 * @module
 */
import { join, relative } from "node:path";
import { readArtifact } from "../run/artifact_store.ts";
import { UserError } from "../run/user_error.ts";
import { runCli } from "./run_cli.ts";

const HELP = `Usage: deno run --allow-read --allow-write --allow-env experiments/cli/ci_cache.ts COMMAND ...

  list CACHE              print the finished artifact folders under CACHE, relative, sorted
  slice CACHE LIST OUT    copy into OUT the finished artifact folders of CACHE not named in the file LIST
  prune-shards CACHE      remove the shard artifacts (settings.shard) from CACHE
`;

/** A finished artifact folder: its path relative to the cache root, and whether it is one shard's slice. */
export interface CachedArtifact {
  /** `<experiment>/<instance>/<key>`, with `/` separators. */
  path: string;
  /** Whether its settings name a shard (`--shard I/N`): a slice, merged into the full outputs later. */
  shard: boolean;
}

/**
 * The finished artifacts under a cache root: folders three levels down, named by a cache key (64 hex
 * digits), holding a readable `meta.json`; temporary, replaced and `*.work` folders are skipped.
 *
 * @param root The cache root (`.cache`).
 * @returns The artifacts, sorted by path.
 * @throws {UserError} When the root is not a folder.
 */
export async function cachedArtifacts(root: string): Promise<CachedArtifact[]> {
  const found: CachedArtifact[] = [];
  const folders = async (dir: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && !e.name.endsWith(".work")) names.push(e.name);
    }
    return names.sort();
  };
  try {
    if (!(await Deno.stat(root)).isDirectory) throw new Deno.errors.NotADirectory();
  } catch {
    throw new UserError(`Cannot read the stage cache "${root}": expected a folder`);
  }
  for (const experiment of await folders(root)) {
    for (const instance of await folders(join(root, experiment))) {
      for (const key of await folders(join(root, experiment, instance))) {
        if (!/^[0-9a-f]{64}$/.test(key)) continue;
        const artifact = await readArtifact(join(root, experiment, instance, key));
        if (artifact === null) continue;
        const settings = artifact.meta.settings as { shard?: unknown } | null;
        found.push({
          path: [experiment, instance, key].join("/"),
          shard: typeof settings === "object" && settings !== null && "shard" in settings,
        });
      }
    }
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Copies the artifacts of `root` that `before` does not name into `out`, at the same relative paths.
 *
 * @param root The cache root.
 * @param before Artifact paths present before (as {@linkcode cachedArtifacts} lists them).
 * @param out The folder to copy into (created).
 * @returns The paths copied.
 */
export async function sliceCache(root: string, before: ReadonlySet<string>, out: string): Promise<string[]> {
  const added = (await cachedArtifacts(root)).filter((a) => !before.has(a.path)).map((a) => a.path);
  for (const path of added) await copyFolder(join(root, path), join(out, path));
  return added;
}

/**
 * Removes the shard artifacts of a cache (each a slice of a sharded stage, already merged).
 *
 * @param root The cache root.
 * @returns The paths removed.
 */
export async function pruneShards(root: string): Promise<string[]> {
  const shards = (await cachedArtifacts(root)).filter((a) => a.shard).map((a) => a.path);
  for (const path of shards) await Deno.remove(join(root, path), { recursive: true });
  return shards;
}

async function copyFolder(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const source = join(from, e.name), target = join(to, e.name);
    if (e.isDirectory) await copyFolder(source, target);
    else if (e.isFile) await Deno.copyFile(source, target);
  }
}

async function readList(file: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new UserError(`Cannot read the artifact list "${file}": ${(error as Error).message}`);
  }
  return new Set(text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0));
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const arity: Record<string, number> = { list: 1, slice: 3, "prune-shards": 1 };
  if (command === "-h" || command === "--help") {
    console.log(HELP);
    return 0;
  }
  if (!(command in arity) || rest.length !== arity[command]) {
    throw new UserError(
      `Cannot run ci_cache: expected list CACHE, slice CACHE LIST OUT or prune-shards CACHE, got "${
        args.join(" ")
      }"`,
    );
  }
  if (command === "list") {
    for (const a of await cachedArtifacts(rest[0])) console.log(a.path);
  } else if (command === "slice") {
    const added = await sliceCache(rest[0], await readList(rest[1]), rest[2]);
    console.error(`copied ${added.length} artifact folders into ${relative(".", rest[2]) || "."}`);
  } else {
    const removed = await pruneShards(rest[0]);
    console.error(`removed ${removed.length} merged shard artifacts`);
  }
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
