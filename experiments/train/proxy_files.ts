import { dirname, isAbsolute, join } from "node:path";
import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";

/** Files of a proxy checkpoint folder. */
export const PROXY_FILES = {
  config: "config.json",
  weights: "model.safetensors",
  record: "training.json",
  completions: "completions.jsonl",
  heldOut: "held_out_completions.jsonl",
  state: "train_state.safetensors",
  log: "train_log.jsonl",
} as const;

/**
 * The folder a setup's `checkpoint` names, resolved against the manifest's own folder.
 *
 * @param manifest The resolved manifest.
 * @param setup One of its setups.
 * @returns The folder path, or null when the setup names no checkpoint.
 */
export function checkpointDir(manifest: ResolvedManifest, setup: ResolvedSetup): string | null {
  if (setup.checkpoint === null) return null;
  return isAbsolute(setup.checkpoint) ? setup.checkpoint : join(dirname(manifest.file), setup.checkpoint);
}
