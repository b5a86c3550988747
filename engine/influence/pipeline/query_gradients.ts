/**
 * Query gradients: V = ∇_W(−f) per query, f = log p(completion | prompt), and their preconditioning
 * P = (G + λI)⁻¹ V.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import type { GpuLlama } from "../../llama/gpu_llama.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import { resolveDamping } from "../cpu/resolve_damping.ts";
import type { PreconditionFactors } from "../cpu/precondition_factors.ts";
import { GpuPreconditioner, truncateRankGpu } from "../gpu/gpu_preconditioner.ts";
import { sequenceGradientTensors } from "../gpu/sequence_gradients.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { queryLabels, uploadSequences } from "./device_batch.ts";
import type { InfluencePipelineSettings } from "./pipeline_settings.ts";

/** Queries per forward/backward batch. */
export const QUERY_BATCH = 8;

/** Raw query gradients and the measurement they differentiate. */
export interface QueryGradients {
  /** V per tracked layer, F32 [Q, out, in] row-major. */
  v: Map<string, Float32Array>;
  /** −f = −log p(completion | prompt) per query, nats, from the f32 forward pass. */
  nats: number[];
}

/**
 * Raw query gradients V = ∇_W(−f), f = log p(completion | prompt) summed over the completion tokens
 * (prompt positions masked, real labels, weight 1), per tracked layer, in batches of {@linkcode QUERY_BATCH}.
 *
 * @param gpu The device.
 * @param llama The model on it.
 * @param layers The tracked layers.
 * @param prompts Prompt ids per query (at least one each).
 * @param completions Completion ids per query.
 * @param onQueries Called with the number of queries after each batch.
 * @returns V per layer and −f per query.
 */
export async function rawQueryGradients(
  gpu: Gpu,
  llama: GpuLlama,
  layers: readonly TrackedLayer[],
  prompts: readonly Int32Array[],
  completions: readonly Int32Array[],
  onQueries: (queries: number) => void = () => {},
): Promise<QueryGradients> {
  const names = layers.map((l) => l.name);
  const v = new Map(layers.map((l) => [l.name, new Float32Array(prompts.length * l.outDim * l.inDim)]));
  const nats: number[] = [];
  for (let first = 0; first < prompts.length; first += QUERY_BATCH) {
    const index = prompts.slice(first, first + QUERY_BATCH).map((_, i) => first + i);
    const rows = index.map((q) => {
      const ids = new Int32Array(prompts[q].length + completions[q].length);
      ids.set(prompts[q]);
      ids.set(completions[q], prompts[q].length);
      return ids;
    });
    const batch = uploadSequences(gpu, rows, (b) => queryLabels(rows[b], prompts[index[b]].length));
    const out = llama.lossAndGradWithRecords(batch.batch, { layers: names, paramGrads: false });
    const grads = sequenceGradientTensors(gpu, layers, { records: out.records, sequences: batch.sequences });
    const host = await readTensors(out.logProbs, ...names.map((n) => grads.get(n)!));
    const logProbs = host[0] as Float32Array;
    for (const { start, rows: length } of batch.sequences) {
      let sum = 0;
      for (let r = start; r < start + length; r++) sum += logProbs[r];
      nats.push(-sum);
    }
    layers.forEach((l, i) => v.get(l.name)!.set(host[i + 1] as Float32Array, first * l.outDim * l.inDim));
    for (const t of grads.values()) t.destroy();
    batch.destroy();
    onQueries(index.length);
  }
  return { v, nats };
}

/** Preconditioned query gradients and the damping used. */
export interface PreconditionedQueries {
  /** P per tracked layer, F32 [Q, out, in] row-major. */
  p: Map<string, Float32Array>;
  /** λ per tracked layer (empty for the identity strategy). */
  damping: Map<string, number>;
}

/**
 * P = (G + λI)⁻¹ V with the settings' strategy (λ from `resolveDamping`), optionally truncated to rank
 * `queryRank`, read back.
 *
 * @param gpu The device.
 * @param layers The tracked layers.
 * @param v Raw gradients per layer, F32 [Q, out, in].
 * @param queries Q.
 * @param factors Fitted eigenbases and Λ (empty maps for the identity strategy).
 * @param settings Strategy, damping and query rank.
 * @returns P per layer and λ per layer.
 */
export async function preconditionQueries(
  gpu: Gpu,
  layers: readonly TrackedLayer[],
  v: ReadonlyMap<string, Float32Array>,
  queries: number,
  factors: PreconditionFactors,
  settings: Pick<InfluencePipelineSettings, "strategy" | "damping" | "queryRank">,
): Promise<PreconditionedQueries> {
  const damping = resolveDamping(settings.strategy, settings.damping, factors);
  const uploaded = new Map(
    layers.map((l) => [l.name, Tensor.from(gpu, v.get(l.name)!, [queries, l.outDim, l.inDim])]),
  );
  const preconditioner = new GpuPreconditioner(gpu, settings.strategy, layers, factors, damping);
  const p = preconditioner.apply(uploaded);
  if (settings.queryRank !== null) await truncateRankGpu(layers, p, settings.queryRank);
  const values = await readTensors(...layers.map((l) => p.get(l.name)!));
  preconditioner.destroy();
  for (const t of [...uploaded.values(), ...p.values()]) t.destroy();
  return { p: new Map(layers.map((l, i) => [l.name, values[i] as Float32Array])), damping };
}
