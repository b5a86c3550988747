import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";
import type { Progress } from "./progress.ts";

/** A finished stage's outputs: its folder and its record. */
export interface Artifact {
  /** Folder holding the output files and `meta.json`. */
  dir: string;
  /** Its `meta.json`. */
  meta: ArtifactMeta;
}

/** `meta.json` of an artifact: what made it and what it holds. */
export interface ArtifactMeta {
  /** Stage name. */
  stage: string;
  /** Setup name for per-setup stages, null for global ones. */
  setup: string | null;
  /** Cache key: sha256 of {stage, version, settings, inputs}. */
  key: string;
  /** The stage's code version. */
  version: number;
  /** The resolved settings hashed into the key. */
  settings: unknown;
  /** Output digest of each input artifact, by instance name (`world`, `train@7B`). */
  inputs: Record<string, string>;
  /** sha256 of each output file, by path relative to the artifact folder. */
  outputs: Record<string, string>;
  /** sha256 of the canonical JSON of `outputs`. */
  outputDigest: string;
  /** Wall-clock seconds the stage took when it ran. */
  seconds: number;
  /** When it was committed (ISO 8601). */
  createdAt: string;
  /** Small summary the stage returned (counts, figures) for reports. */
  summary: unknown;
}

/** What a stage's `run` gets. */
export interface StageContext {
  /** The resolved manifest. */
  manifest: ResolvedManifest;
  /** The setup this instance runs for (per-setup stages only). */
  setup: ResolvedSetup | null;
  /** This instance's cache key (sha256 hex). */
  key: string;
  /** Input artifacts by dependency stage name. */
  inputs: Record<string, Artifact>;
  /** Every artifact finished so far in this plan, by instance name (for the report). */
  all: ReadonlyMap<string, Artifact>;
  /** Empty folder to write outputs into; renamed into the cache when `run` returns. */
  outDir: string;
  /** Folder that survives a killed run of the same key, for the stage's own resumable checkpoints. */
  workDir: string;
  /** Starts a progress display. */
  progress(label: string, total: number): Progress;
  /** Prints a line of log. */
  log(message: string): void;
  /** The slice this instance computes (1-based index of count), for a shardable stage run with --shard. */
  shard?: { index: number; count: number };
}

/**
 * A stage of the pipeline. It must be a pure function of `settings` and its inputs: same settings and
 * same input artifacts give byte-identical outputs.
 */
export interface StageDef {
  /** Stage name (`world`, `model`, ...). */
  name: string;
  /** Bump when the stage's code changes what it writes. */
  version: number;
  /** Runs once per setup (true) or once per experiment (false). */
  perSetup: boolean;
  /** Stages whose outputs it reads. A per-setup stage's per-setup dependency is the same setup's. */
  deps: string[];
  /** The resolved settings that determine the outputs (hashed into the key, recorded in meta). */
  settings(manifest: ResolvedManifest, setup: ResolvedSetup | null): unknown | Promise<unknown>;
  /** Computes the outputs into `ctx.outDir`; may return a small JSON summary. */
  run(ctx: StageContext): Promise<unknown>;
  /**
   * Present when the stage can run as N shards (`--shard I/N`: `run` sees `ctx.shard` and computes one
   * slice) whose artifacts `merge` combines into exactly the unsharded outputs (`--merge-shards N`).
   */
  shards?: {
    /** Writes the full outputs into `ctx.outDir` from the N shard artifacts (in shard order). */
    merge(ctx: StageContext, parts: Artifact[]): Promise<unknown>;
  };
}
