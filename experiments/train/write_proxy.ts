import type { SetStepDiagnostics } from "../../reports/analyses/mod.ts";
import { join } from "node:path";
import { type LlamaConfig, saveCheckpoint } from "../../engine/model/mod.ts";
import type { AdapterInfo } from "../../engine/mod.ts";
import type { ResolvedSetup } from "../manifest/load_manifest.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import { sha256Hex } from "../run/hash.ts";
import { PROXY_FILES } from "./proxy_files.ts";

/** What training.json says about a proxy checkpoint. */
export interface ProxyRecord {
  setup: string;
  /** `trained` once every step ran; `in-training` for the weights of an intermediate checkpoint. */
  status: "trained" | "in-training";
  step: number;
  steps: number;
  tokensSeen: number;
  /** Mean loss over the last logged steps (nats per token). */
  recentLoss: number | null;
  model: ResolvedSetup["model"];
  training: ResolvedSetup["training"];
  parameterCount: number;
  checkpointSha256: string;
  /** Cache keys of the world and tokenize stages the proxy was trained on. */
  data: { world: string; tokenize: string };
  adapter: AdapterInfo;
  /** Wall-clock seconds of training over all sessions so far. */
  wallSeconds: number;
  /** Accuracy per query set of greedy completions, when evaluated. */
  accuracy?: Record<string, { correct: number; total: number; accuracy: number }>;
  /** Per reasoning set, where the completions' chains break (`stepDiagnostics` of the analyses). */
  stepDiagnostics?: Record<string, SetStepDiagnostics>;
  /**
   * Accuracy per query set (and, since step diagnostics exist, `steps`: where the chains break) at each
   * evaluated checkpoint, in step order (the tasks' learning curve).
   */
  evaluations?: {
    step: number;
    accuracy: Record<string, unknown>;
    steps?: Record<string, unknown>;
    /** Accuracy and step diagnostics of the held-out prompts, when the world has them. */
    heldOut?: { accuracy: Record<string, unknown>; steps: Record<string, unknown> };
    /** Factual queries right per mention count of the fact. */
    factualByMentions?: Record<string, { correct: number; total: number }>;
    /** Teacher-forced log p of the factual answers and values per mention count (`FactRecall`). */
    factualRecall?: Record<string, { queries: number; value: number; answer: number }>;
  }[];
  /**
   * The held-out prompts at the final step (fresh operands in the queries' templates, in no query and no
   * document): accuracy and step diagnostics per reasoning set. Absent when the world has none.
   */
  heldOut?: {
    accuracy: Record<string, { correct: number; total: number; accuracy: number }>;
    stepDiagnostics: Record<string, SetStepDiagnostics>;
  };
  /** Factual queries right per mention count of the fact, at the final step. */
  factualByMentions?: Record<string, { correct: number; total: number }>;
  /** Teacher-forced recall of the facts per mention count, at the final step. */
  factualRecall?: Record<string, { queries: number; value: number; answer: number }>;
  /** The trainer's full record, for finished training. */
  record?: unknown;
}

/**
 * Writes a proxy checkpoint folder: `model.safetensors` and `config.json` in Hugging Face Llama
 * format, and `training.json`. Each file is written atomically; the weights first, the record last, so a
 * record never describes weights that are not there.
 *
 * @param dir The checkpoint folder.
 * @param config Model configuration.
 * @param params Weights by HF name.
 * @param record Everything of training.json but the parameter count and checksum.
 * @returns The full record written.
 */
export async function writeProxy(
  dir: string,
  config: LlamaConfig,
  params: ReadonlyMap<string, Float32Array>,
  record: Omit<ProxyRecord, "parameterCount" | "checkpointSha256">,
): Promise<ProxyRecord> {
  const { configJson, bytes } = saveCheckpoint(config, params);
  await atomicWrite(join(dir, PROXY_FILES.weights), bytes);
  await atomicWrite(join(dir, PROXY_FILES.config), configJson);
  const full: ProxyRecord = {
    ...record,
    parameterCount: [...params.values()].reduce((n, p) => n + p.length, 0),
    checkpointSha256: await sha256Hex(bytes),
  };
  await atomicWrite(join(dir, PROXY_FILES.record), JSON.stringify(full, null, 2) + "\n");
  return full;
}
