import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import { resolveDamping } from "../../engine/influence/mod.ts";
import {
  GpuPreconditioner,
  sequenceGradientTensors,
  truncateRankGpu,
} from "../../engine/influence/gpu/mod.ts";
import { readTensors, Tensor } from "../../engine/tensor.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import type { Gpu } from "../../engine/gpu.ts";
import { UserError } from "../run/user_error.ts";
import { uploadSequences } from "../influence/device_batch.ts";
import { checkFactorsFor, decodeFactors } from "../influence/factors_file.ts";
import type { ModelSummary } from "./model_stage.ts";
import { sha256Hex } from "../run/hash.ts";
import { type InfluenceModel, readInfluenceModel } from "../influence/influence_model.ts";
import { measuredQueries, readCompletions, selectQueries } from "../influence/select_queries.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";

/** Queries per forward/backward batch. */
export const QUERY_BATCH = 8;

/** `queries.json` of the query_gradients stage. */
export interface QueriesFile {
  /** Query ids in row order of every [Q, …] tensor. */
  ids: string[];
  sets: string[];
  /** −log p(completion | prompt) per query, nats (the per-nat divisor), from the f32 forward pass. */
  nats: number[];
  correct: boolean[];
  /** Per row: `own` (the model's completion) or `gold` (a factual query's reference answer, id `…#gold`). */
  measurement: ("own" | "gold")[];
  /** Completion tokens per query (EOS included). */
  completionTokens: number[];
  /** How the factual queries were chosen. */
  selection: ReturnType<typeof selectQueries>["factual"];
  strategy: InfluenceSettings["strategy"];
  /** λ per tracked layer (empty for identity). */
  damping: Record<string, number>;
  queryRank: number | null;
  /** Tracked layers in order: name and [out, in]. */
  layers: { name: string; outDim: number; inDim: number }[];
  /**
   * Whether queries.safetensors also holds the raw gradients V (`raw.<layer>`), for the identity control
   * (the plain gradient dot product); false when the strategy is identity itself.
   */
  rawGradients?: boolean;
  /** Rows of V kept: the own-completion rows, which come first (the findings use no gold row). */
  rawRows?: number;
}

function querySettings(influence: InfluenceSettings) {
  return {
    strategy: influence.strategy,
    trackedModules: influence.trackedModules,
    damping: influence.damping,
    queryRank: influence.queryRank,
    batchQueries: QUERY_BATCH,
    measurement: "log p(completion | prompt), model's own completion",
  };
}

/**
 * Stage `query_gradients` (per setup): the setup's queries with the model's own completions (factual:
 * the paper's draw of 20 answered right and 20 wrong as far as the pool allows, see `selectQueries`),
 * then the chosen factual queries again with their gold completions (`measuredQueries`: rows `…#gold`,
 * for the planted-fact check), tokenized as the tokenize stage does (BOS + prompt, completion + EOS).
 * For each, V = ∇_W(−f) with f = log p(completion | prompt) — the summed cross-entropy of the completion
 * tokens, prompt positions masked, real labels, weight 1 — then P = (G + λI)⁻¹ V with
 * the setup's strategy (λ from `resolveDamping`), optionally truncated to rank k. Writes
 * `queries.safetensors` (`<layer>` F32 [Q, out, in] per tracked layer: P; and, unless the strategy is
 * identity, `raw.<layer>` F32 [own rows, out, in]: V of the own-completion rows, which the scores stage dots
 * with the documents too, for the identity control) and `queries.json` ({@linkcode QueriesFile}).
 */
export const queryGradientsStage: StageDef = {
  name: "query_gradients",
  version: 5,
  perSetup: true,
  deps: ["tokenize", "world", "model", "complete", "factors"],
  settings: (_m, setup) => querySettings(setup!.influence),
  async run(ctx) {
    const setup = ctx.setup!, influence = setup.influence;
    const model = await readInfluenceModel(ctx.inputs.model.dir, influence);
    const answered = await readCompletions(join(ctx.inputs.complete.dir, "completions.jsonl"));
    const selected = selectQueries(answered);
    const factual = selected.factual;
    const world = await readWorldArtifact(ctx.inputs.world.dir);
    const queries = measuredQueries(
      selected.queries,
      new Map(world.queries.map((q) => [q.id, q.completion])),
    );
    if (queries.length === 0) {
      throw new UserError(`Setup ${setup.name} has no queries to compute influence for (query sets empty)`);
    }
    const factorsPath = join(ctx.inputs.factors.dir, "factors.safetensors");
    const factorBytes = await Deno.readFile(factorsPath);
    if (influence.strategy !== "identity") {
      checkFactorsFor(factorsPath, factorBytes, {
        modelSha256: (ctx.inputs.model.meta.summary as ModelSummary).checkpointSha256,
        tokenizerSha256: await sha256Hex(
          await Deno.readFile(join(ctx.inputs.tokenize.dir, "tokenizer.json")),
        ),
        layers: model.layers.map(({ name, outDim, inDim }) => ({ name, outDim, inDim })),
      });
    }
    const factors = decodeFactors(factorBytes);
    const damping = resolveDamping(influence.strategy, influence.damping, factors);
    const tok = (await runTokenizer(ctx.manifest)).tokenizer;
    const prompts = queries.map((q) => tok.encode(q.prompt, { bos: true }));
    const completions = queries.map((q) => tok.encode(q.completion, { eos: true }));
    const gpu = await acquireDevice();
    try {
      const names = model.layers.map((l) => l.name);
      const { v, nats } = await rawQueryGradients(
        gpu,
        model,
        prompts,
        completions,
        (l, n) => ctx.progress(l, n),
      );
      const uploaded = new Map(
        model.layers.map((
          l,
        ) => [l.name, Tensor.from(gpu, v.get(l.name)!, [queries.length, l.outDim, l.inDim])]),
      );
      const preconditioner = new GpuPreconditioner(gpu, influence.strategy, model.layers, factors, damping);
      const p = preconditioner.apply(uploaded);
      if (influence.queryRank !== null) await truncateRankGpu(model.layers, p, influence.queryRank);
      const values = await readTensors(...names.map((n) => p.get(n)!));
      preconditioner.destroy();
      for (const t of [...uploaded.values(), ...p.values()]) t.destroy();
      const tensors: Record<string, SafetensorsTensor> = {};
      model.layers.forEach((l, i) => {
        tensors[l.name] = {
          dtype: "F32",
          shape: [queries.length, l.outDim, l.inDim],
          data: values[i] as Float32Array,
        };
      });
      const rawGradients = influence.strategy !== "identity";
      // The controls serve the findings, which use the own-completion rows only: those come first.
      const ownRows = queries.findIndex((q) => q.measurement !== "own");
      const rawRows = ownRows < 0 ? queries.length : ownRows;
      if (queries.slice(rawRows).some((q) => q.measurement === "own")) {
        throw new Error("query_gradients: own-completion rows must precede the gold rows");
      }
      if (rawGradients) {
        model.layers.forEach((l) => {
          tensors[`raw.${l.name}`] = {
            dtype: "F32",
            shape: [rawRows, l.outDim, l.inDim],
            data: v.get(l.name)!.subarray(0, rawRows * l.outDim * l.inDim),
          };
        });
      }
      await Deno.writeFile(join(ctx.outDir, "queries.safetensors"), writeSafetensors(tensors));
      const file: QueriesFile = {
        ids: queries.map((q) => q.id),
        sets: queries.map((q) => q.set),
        nats,
        correct: queries.map((q) => q.correct),
        measurement: queries.map((q) => q.measurement),
        completionTokens: completions.map((c) => c.length),
        selection: factual,
        strategy: influence.strategy,
        damping: Object.fromEntries(damping),
        queryRank: influence.queryRank,
        layers: model.layers.map(({ name, outDim, inDim }) => ({ name, outDim, inDim })),
        rawGradients,
        ...(rawGradients ? { rawRows } : {}),
      };
      await Deno.writeTextFile(join(ctx.outDir, "queries.json"), JSON.stringify(file, null, 1) + "\n");
      return {
        queries: queries.length,
        factual,
        meanNats: nats.reduce((a, b) => a + b, 0) / nats.length,
        damping: file.damping,
      };
    } finally {
      await gpu.destroy();
    }
  },
};

/**
 * Raw query gradients V = ∇_W(−f), f = log p(completion | prompt) summed over the completion tokens
 * (prompt positions masked, real labels, weight 1), per tracked layer, in batches of {@linkcode QUERY_BATCH}.
 *
 * @param gpu The device.
 * @param model The influence model (weights and tracked layers).
 * @param prompts Prompt tokens per query (BOS first).
 * @param completions Completion tokens per query (EOS last).
 * @param progress The stage's progress reporter.
 * @returns V per layer (F32 [Q, out, in], row-major) and −f per query (nats).
 */
export async function rawQueryGradients(
  gpu: Gpu,
  model: InfluenceModel,
  prompts: readonly Int32Array[],
  completions: readonly Int32Array[],
  progress: StageContext["progress"],
): Promise<{ v: Map<string, Float32Array>; nats: number[] }> {
  const llama = new GpuLlama(gpu, model.config, model.params);
  const names = model.layers.map((l) => l.name);
  const v = new Map(model.layers.map((l) => [l.name, new Float32Array(prompts.length * l.outDim * l.inDim)]));
  const nats: number[] = [];
  const bar = progress("query gradients", prompts.length);
  try {
    for (let first = 0; first < prompts.length; first += QUERY_BATCH) {
      const index = prompts.slice(first, first + QUERY_BATCH).map((_, i) => first + i);
      const rows = index.map((q) => {
        const ids = new Int32Array(prompts[q].length + completions[q].length);
        ids.set(prompts[q]);
        ids.set(completions[q], prompts[q].length);
        return ids;
      });
      const batch = uploadSequences(gpu, rows, (b) => {
        const ids = rows[b], start = prompts[index[b]].length - 1;
        return Int32Array.from(ids, (_, t) => (t >= start && t + 1 < ids.length ? ids[t + 1] : -1));
      });
      const out = llama.lossAndGradWithRecords(batch.batch, { layers: names, paramGrads: false });
      const grads = sequenceGradientTensors(gpu, model.layers, {
        records: out.records,
        sequences: batch.sequences,
      });
      const host = await readTensors(out.logProbs, ...names.map((n) => grads.get(n)!));
      const logProbs = host[0] as Float32Array;
      for (const { start, rows: length } of batch.sequences) {
        let sum = 0;
        for (let r = start; r < start + length; r++) sum += logProbs[r];
        nats.push(-sum);
      }
      model.layers.forEach((l, i) =>
        v.get(l.name)!.set(host[i + 1] as Float32Array, first * l.outDim * l.inDim)
      );
      for (const t of grads.values()) t.destroy();
      batch.destroy();
      bar.tick(index.length);
    }
    bar.done();
  } finally {
    llama.destroy();
  }
  return { v, nats };
}
