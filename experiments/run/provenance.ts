import { describeAdapter, type KernelChoices, kernelChoices, texturesReadable } from "../../engine/mod.ts";
import { hashJson, sha256Hex } from "./hash.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";

/** GPU adapter identity as recorded in reports. */
export interface AdapterRecord {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** The kernel variants the engine chose for this adapter (GEMM family and tiles, attention blocks). */
  kernels?: KernelChoices;
}

/** Where and from what a run was made (report.json `provenance`; README, "Reports"). */
export interface Provenance {
  manifest: unknown;
  manifestSha256: string;
  manifestFile: string;
  overrides: string[];
  git: { commit: string | null; dirty: boolean | null };
  deno: string;
  lockfileSha256: string | null;
  os: string;
  cpuCount: number;
  adapter: AdapterRecord | null;
  rootSeed: number;
}

/**
 * Gathers the provenance of a run: the resolved manifest and its canonical-JSON sha256, git commit and
 * dirty flag (null when not a git checkout), Deno version, lockfile sha256, OS, CPU count and the WebGPU
 * adapter (null when none is available).
 *
 * @param manifest The resolved manifest.
 * @param adapter The adapter the run used, if any.
 * @returns The provenance record.
 */
export async function gatherProvenance(
  manifest: ResolvedManifest,
  adapter: AdapterRecord | null,
): Promise<Provenance> {
  const { file: manifestFile, overrides, ...settings } = manifest;
  return {
    manifest: settings,
    manifestSha256: await hashJson(settings),
    manifestFile,
    overrides,
    git: await gitState(),
    deno: Deno.version.deno,
    lockfileSha256: await Deno.readFile("deno.lock").then(sha256Hex, () => null),
    os: `${Deno.build.os}-${Deno.build.arch}`,
    cpuCount: navigator.hardwareConcurrency,
    adapter,
    rootSeed: manifest.seed,
  };
}

/**
 * Identity of the default WebGPU adapter, or null when there is none.
 *
 * @returns The adapter record.
 */
export async function probeAdapter(): Promise<AdapterRecord | null> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) return null;
  const info = describeAdapter(adapter.info);
  return { ...info, kernels: kernelChoices(info, texturesReadable(gpu!)) };
}

/**
 * The git commit of the working directory and whether tracked files have uncommitted changes; both
 * null outside a git checkout or without git.
 *
 * @returns The git state.
 */
export async function gitState(): Promise<Provenance["git"]> {
  const run = async (args: string[]) => {
    try {
      const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
      return out.success ? new TextDecoder().decode(out.stdout) : null;
    } catch {
      return null;
    }
  };
  const commit = (await run(["rev-parse", "HEAD"]))?.trim() ?? null;
  if (commit === null) return { commit: null, dirty: null };
  const status = await run(["status", "--porcelain", "--untracked-files=no"]);
  return { commit, dirty: status === null ? null : status.trim().length > 0 };
}
