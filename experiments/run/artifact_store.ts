import { join, relative } from "node:path";
import { canonicalJson } from "../../engine/io/canonical_json.ts";
import { sha256Hex } from "./hash.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import type { Artifact, ArtifactMeta } from "./stage.ts";

/**
 * Instance name of a stage run: `world` for a global stage, `train@7B` for a per-setup one.
 *
 * @param stage Stage name.
 * @param setup Setup name, or null.
 * @returns The instance name.
 */
export function instanceName(stage: string, setup: string | null): string {
  return setup === null ? stage : `${stage}@${setup}`;
}

/**
 * Folder of one artifact in the cache: `<root>/<instance>/<key>`.
 *
 * @param root Cache root of the experiment.
 * @param instance Instance name.
 * @param key Cache key.
 * @returns The folder path.
 */
export function artifactDir(root: string, instance: string, key: string): string {
  return join(root, instance, key);
}

/**
 * Loads a finished artifact, or null when absent. A folder without a readable `meta.json` (never
 * finished) counts as absent.
 *
 * @param dir Artifact folder.
 * @returns The artifact or null.
 */
export async function readArtifact(dir: string): Promise<Artifact | null> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(join(dir, "meta.json"))) as ArtifactMeta;
    return { dir, meta };
  } catch {
    return null;
  }
}

/**
 * sha256 of every file under a folder (recursively), by relative path with `/` separators, sorted.
 *
 * @param dir The folder.
 * @returns Path → sha256 hex.
 */
export async function hashFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    const entries = [];
    for await (const e of Deno.readDir(d)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        out[relative(dir, p).split("\\").join("/")] = await sha256Hex(await Deno.readFile(p));
      }
    }
  };
  await walk(dir);
  return out;
}

/**
 * Seals a finished temporary folder as the artifact for its key: hashes the outputs, writes
 * `meta.json`, then renames the folder into place (replacing an older artifact of the same key, as
 * `--force` does). The rename is the commit point: a killed run leaves only a temporary folder.
 *
 * @param tmpDir Folder the stage wrote into.
 * @param finalDir Where the artifact lives.
 * @param meta Everything but `outputs` and `outputDigest`, which are computed here.
 * @returns The committed artifact.
 */
export async function commitArtifact(
  tmpDir: string,
  finalDir: string,
  meta: Omit<ArtifactMeta, "outputs" | "outputDigest">,
): Promise<Artifact> {
  const outputs = await hashFiles(tmpDir);
  const full: ArtifactMeta = { ...meta, outputs, outputDigest: await sha256Hex(canonicalJson(outputs)) };
  await atomicWrite(join(tmpDir, "meta.json"), JSON.stringify(full, null, 2) + "\n");
  const old = `${finalDir}.old-${crypto.randomUUID()}`;
  const hadOld = await Deno.rename(finalDir, old).then(() => true, () => false);
  await Deno.rename(tmpDir, finalDir);
  if (hadOld) await Deno.remove(old, { recursive: true });
  return { dir: finalDir, meta: full };
}

/**
 * Removes temporary folders left by killed runs of one key in an instance's cache folder
 * (`<key>.tmp-*`, `<key>.old-*`); other keys' temporaries are left alone, since another process (another
 * shard) may be writing them. Work folders (`*.work`) are kept: they hold resumable progress.
 *
 * @param instanceDir `<root>/<instance>`.
 * @param key The key about to be computed.
 */
export async function removeStaleTemps(instanceDir: string, key: string): Promise<void> {
  try {
    for await (const e of Deno.readDir(instanceDir)) {
      if (e.name.startsWith(`${key}.`) && /\.(tmp|old)-[0-9a-f-]+$/.test(e.name)) {
        await Deno.remove(join(instanceDir, e.name), { recursive: true });
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
