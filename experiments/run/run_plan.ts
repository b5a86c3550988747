import { join } from "node:path";
import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import {
  artifactDir,
  commitArtifact,
  instanceName,
  readArtifact,
  removeStaleTemps,
} from "./artifact_store.ts";
import { hashJson } from "./hash.ts";
import { createProgress, type ProgressSink } from "./progress.ts";
import { settingsDiff } from "./settings_diff.ts";
import type { Artifact, StageContext, StageDef } from "./stage.ts";
import { UserError } from "./user_error.ts";

/** How {@link runPlan} runs. */
export interface PlanOptions {
  /** Cache root of this experiment (`.cache/<experiment>`). */
  cacheRoot: string;
  /** Only say what would run. */
  dryRun?: boolean;
  /** `true` recomputes every stage; a list recomputes the named stages. */
  force?: boolean | string[];
  /** Restrict per-setup stages to these setups (default: all). */
  setups?: string[];
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress output (default: stderr). */
  progressSink?: ProgressSink;
  /**
   * Run shardable stages for this slice only (`--shard I/N`); stages that need their full outputs wait
   * for `mergeShards`.
   */
  shard?: { index: number; count: number };
  /** Build shardable stages' full outputs from their N finished shard artifacts (`--merge-shards N`). */
  mergeShards?: number;
}

/** What happened to one stage instance. */
export interface PlanEntry {
  /** Instance name: `world`, `model@7B`. */
  instance: string;
  /** Stage name. */
  stage: string;
  /** Setup name, or null for a global stage. */
  setup: string | null;
  /** `waiting`: needs the merged outputs of a sharded stage, not computed by this shard run. */
  status: "cached" | "run" | "ran" | "waiting";
  /** Why it runs, waits or is cached. */
  reason: string;
  /** Its cache key, when known. */
  key: string | null;
  /** Seconds spent now (0 when cached or dry). */
  seconds: number;
}

/** The result of a plan: one entry per instance, and the artifacts by instance name. */
export interface PlanResult {
  /** One entry per stage instance, in order. */
  entries: PlanEntry[];
  /** Artifacts produced or found, by instance name. */
  artifacts: Map<string, Artifact>;
}

interface LastRun {
  key: string;
  version: number;
  settings: unknown;
  inputs: Record<string, string>;
}

/**
 * Runs (or, dry, explains) the stage graph for a manifest. Stages run in the given order, which must be
 * topological. An instance whose key — sha256 of its stage, version, settings and input artifacts'
 * output digests — already has an artifact is skipped; otherwise it runs into a temporary folder that is
 * renamed into the cache when it finishes, so a killed run resumes by re-running only unfinished stages.
 *
 * @param manifest The resolved manifest.
 * @param stages Stage definitions in dependency order.
 * @param options Cache location, dry run, force, setup filter.
 * @returns One entry per instance and the artifacts produced or found.
 */
export async function runPlan(
  manifest: ResolvedManifest,
  stages: StageDef[],
  options: PlanOptions,
): Promise<PlanResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  const setups = manifest.setups.filter((s) => !options.setups || options.setups.includes(s.name));
  const byName = new Map(stages.map((s) => [s.name, s]));
  const artifacts = new Map<string, Artifact>();
  const entries: PlanEntry[] = [];
  const pending = new Set<string>();
  const sharded = new Set<string>();
  /**
   * Instances merged from their shards in this invocation, or computed here from such outputs: a
   * sharded stage downstream of them has its shards in the next round.
   */
  const merged = new Set<string>();

  // Every instance's settings first: they check the inputs outside the manifest (a checkpoint folder),
  // so bad input fails here, dry run included, before any stage writes an artifact.
  const allSettings = new Map<string, unknown>();
  for (const stage of stages) {
    for (const setup of stage.perSetup ? setups : [null]) {
      allSettings.set(instanceName(stage.name, setup?.name ?? null), await stage.settings(manifest, setup));
    }
  }

  for (const stage of stages) {
    for (const setup of stage.perSetup ? setups : [null]) {
      const instance = instanceName(stage.name, setup?.name ?? null);
      const inputs = resolveInputs(stage, setup, setups, byName);
      const waiting = [...inputs.values()].filter((i) => pending.has(i));
      const settings = allSettings.get(instance);
      if (waiting.length > 0) {
        const shardWait = waiting.some((w) => sharded.has(w));
        if (shardWait) sharded.add(instance);
        entries.push(
          shardWait
            ? entry(
              stage,
              setup,
              instance,
              "waiting",
              `needs every shard: run the shards, then --merge-shards`,
              null,
            )
            : entry(stage, setup, instance, "run", `input ${waiting.join(", ")} will run first`, null),
        );
        pending.add(instance);
        continue;
      }
      const inputDigests: Record<string, string> = {};
      const inputArtifacts: Record<string, Artifact> = {};
      for (const [label, inst] of inputs) {
        const a = artifacts.get(inst)!;
        inputDigests[inst] = a.meta.outputDigest;
        inputArtifacts[label] = a;
      }
      const key = await hashJson({
        stage: stage.name,
        version: stage.version,
        settings,
        inputs: inputDigests,
      });
      const instanceDir = join(options.cacheRoot, instance);
      const finalDir = artifactDir(options.cacheRoot, instance, key);
      const forced = options.force === true ||
        (Array.isArray(options.force) && options.force.includes(stage.name));
      const existing = forced ? null : await readArtifact(finalDir);
      if (existing) {
        artifacts.set(instance, existing);
        entries.push(entry(stage, setup, instance, "cached", `key ${key.slice(0, 12)}`, key));
        continue;
      }
      const base = { stage: stage.name, version: stage.version, settings, inputs: inputDigests };
      const shardKey = (index: number, count: number) => hashJson({ ...base, shard: `${index}/${count}` });
      let reason = forced ? "forced" : await whyRun(instanceDir, stage.version, settings, inputDigests);
      let shard: { index: number; count: number } | undefined;
      let parts: Artifact[] | undefined;
      let runKey = key;
      if (stage.shards && options.shard) {
        shard = options.shard;
        runKey = await shardKey(shard.index, shard.count);
        sharded.add(instance);
        pending.add(instance);
        const done = forced ? null : await readArtifact(artifactDir(options.cacheRoot, instance, runKey));
        if (done) {
          entries.push(
            entry(
              stage,
              setup,
              instance,
              "cached",
              `shard ${shard.index}/${shard.count}, key ${runKey.slice(0, 12)}`,
              runKey,
            ),
          );
          continue;
        }
        reason = `shard ${shard.index}/${shard.count} (${reason})`;
      } else if (stage.shards && options.mergeShards) {
        const n = options.mergeShards;
        const keys = await Promise.all(Array.from({ length: n }, (_, i) => shardKey(i + 1, n)));
        const found = await Promise.all(
          keys.map((k) => readArtifact(artifactDir(options.cacheRoot, instance, k))),
        );
        const missing = found.flatMap((a, i) => (a ? [] : [`${i + 1}/${n}`]));
        if (
          missing.length === n && [...inputs.values()].some((i) => merged.has(i))
        ) {
          // A chain of sharded stages (e.g. covariances, then factors): this one's shards need the
          // outputs just merged, so they run in the next round.
          sharded.add(instance);
          pending.add(instance);
          entries.push(
            entry(
              stage,
              setup,
              instance,
              "waiting",
              `next round: run the shards again (--shard I/${n}), then --merge-shards ${n}`,
              null,
            ),
          );
          continue;
        }
        if (missing.length > 0 && !options.dryRun) {
          throw new UserError(
            `Cannot merge ${instance}: shard${missing.length > 1 ? "s" : ""} ${
              missing.join(", ")
            } not found under ` +
              `"${instanceDir}" for these settings and inputs; run deno task experiment --shard ${
                missing[0]
              } ` +
              `with the same manifest first`,
          );
        }
        parts = found.filter((a): a is Artifact => a !== null);
        reason = `merge ${n} shards`;
      }
      if (options.dryRun) {
        entries.push(entry(stage, setup, instance, "run", reason, key));
        pending.add(instance);
        continue;
      }
      // One process at a time computes a key (e.g. `deno task train` for two setups started together,
      // both needing the world): a second waits for the first, then takes its artifact from the cache.
      // The lock is released when the iteration ends (or the process dies), and it makes the temporaries
      // of this key that it finds stale.
      using _lock = await lockKey(instanceDir, runKey);
      const meanwhile = forced ? null : await readArtifact(artifactDir(options.cacheRoot, instance, runKey));
      if (meanwhile) {
        if (!shard) artifacts.set(instance, meanwhile);
        entries.push(
          entry(
            stage,
            setup,
            instance,
            "cached",
            `computed meanwhile by another process, key ${runKey.slice(0, 12)}`,
            runKey,
          ),
        );
        continue;
      }
      log(`${instance}: running (${reason})`);
      await removeStaleTemps(instanceDir, runKey);
      const runDir = artifactDir(options.cacheRoot, instance, runKey);
      const tmpDir = `${runDir}.tmp-${crypto.randomUUID()}`;
      const workDir = `${runDir}.work`;
      await Deno.mkdir(tmpDir, { recursive: true });
      await Deno.mkdir(workDir, { recursive: true });
      const ctx: StageContext = {
        manifest,
        setup,
        key,
        inputs: inputArtifacts,
        all: artifacts,
        outDir: tmpDir,
        workDir,
        progress: (label, total) => createProgress(`${instance} ${label}`, total, options.progressSink),
        log: (m) => log(`${instance}: ${m}`),
        shard,
      };
      const t0 = performance.now();
      let summary: unknown;
      try {
        summary = parts ? await stage.shards!.merge(ctx, parts) : await stage.run(ctx);
      } catch (error) {
        await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
        // A work folder with nothing to resume from, and then an instance folder holding nothing, go too.
        await removeIfEmpty(workDir);
        await removeIfEmpty(instanceDir);
        throw error;
      }
      const seconds = (performance.now() - t0) / 1000;
      const artifact = await commitArtifact(tmpDir, runDir, {
        stage: stage.name,
        setup: setup?.name ?? null,
        key: runKey,
        version: stage.version,
        settings: shard ? { ...(settings as object), shard: `${shard.index}/${shard.count}` } : settings,
        inputs: inputDigests,
        seconds,
        createdAt: new Date().toISOString(),
        summary: summary ?? null,
      });
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
      if (parts || [...inputs.values()].some((i) => merged.has(i))) merged.add(instance);
      if (!shard) {
        const last: LastRun = { key, version: stage.version, settings, inputs: inputDigests };
        await atomicWrite(join(instanceDir, "last.json"), JSON.stringify(last, null, 2) + "\n");
        artifacts.set(instance, artifact);
      }
      entries.push({ ...entry(stage, setup, instance, "ran", reason, runKey), seconds });
      log(`${instance}: done in ${seconds.toFixed(2)} s`);
    }
  }
  return { entries, artifacts };
}

function resolveInputs(
  stage: StageDef,
  setup: ResolvedSetup | null,
  setups: ResolvedSetup[],
  byName: Map<string, StageDef>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const dep of stage.deps) {
    const d = byName.get(dep);
    if (!d) throw new Error(`Stage "${stage.name}" depends on unknown stage "${dep}"`);
    if (!d.perSetup) out.set(dep, dep);
    else if (setup) out.set(dep, instanceName(dep, setup.name));
    else for (const s of setups) out.set(instanceName(dep, s.name), instanceName(dep, s.name));
  }
  return out;
}

async function whyRun(
  instanceDir: string,
  version: number,
  settings: unknown,
  inputs: Record<string, string>,
): Promise<string> {
  let last: LastRun;
  try {
    last = JSON.parse(await Deno.readTextFile(join(instanceDir, "last.json")));
  } catch {
    return "not computed before";
  }
  if (last.version !== version) return `stage code changed (version ${last.version} → ${version})`;
  const changed = settingsDiff(last.settings, settings);
  if (changed.length > 0) {
    const more = changed.length > 3 ? `, and ${changed.length - 3} more` : "";
    return `settings changed: ${changed.slice(0, 3).join(", ")}${more}`;
  }
  const inputsChanged = Object.keys(inputs).filter((k) => last.inputs[k] !== inputs[k]);
  if (inputsChanged.length > 0) return `input changed: ${inputsChanged.join(", ")}`;
  return "no finished artifact for this key";
}

function entry(
  stage: StageDef,
  setup: ResolvedSetup | null,
  instance: string,
  status: PlanEntry["status"],
  reason: string,
  key: string | null,
): PlanEntry {
  return { instance, stage: stage.name, setup: setup?.name ?? null, status, reason, key, seconds: 0 };
}

/**
 * Takes the exclusive lock of a cache key in an instance folder: an advisory lock on `<key>.lock`, which
 * the system releases if the holder dies. Waits while another process holds it. Releasing removes the
 * file (and the instance folder, when that leaves it empty); a waiter that then holds the lock of a
 * removed file tries again, so two processes never hold one key's lock.
 *
 * @param instanceDir `<root>/<instance>` (created if missing).
 * @param key The key about to be computed.
 * @returns The held lock; disposing of it releases the lock.
 */
async function lockKey(instanceDir: string, key: string): Promise<Disposable> {
  const path = join(instanceDir, `${key}.lock`);
  for (;;) {
    await Deno.mkdir(instanceDir, { recursive: true });
    const file = await Deno.open(path, { create: true, write: true });
    try {
      await file.lock(true);
      const held = await file.stat();
      const named = await Deno.stat(path).catch(() => null);
      if (named !== null && named.ino === held.ino && named.dev === held.dev) {
        return {
          [Symbol.dispose]() {
            Deno.removeSync(path);
            file.close();
            try {
              Deno.removeSync(instanceDir);
            } catch {
              // Not empty (it holds artifacts), or gone: nothing to tidy.
            }
          },
        };
      }
    } catch (error) {
      file.close();
      throw error;
    }
    file.close();
  }
}

/** Removes a folder if it exists and is empty. */
async function removeIfEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) return;
    await Deno.remove(dir);
  } catch {
    // Missing, or not removable: nothing to tidy.
  }
}
