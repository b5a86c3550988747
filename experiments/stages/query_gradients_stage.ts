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
import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";
import type { StageDef } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import { uploadSequences } from "../influence/device_batch.ts";
import { checkFactorsFor, decodeFactors } from "../influence/factors_file.ts";
import type { ModelSummary } from "./model_stage.ts";
import { sha256Hex } from "../run/hash.ts";
import { readInfluenceModel } from "../influence/influence_model.ts";
import { measuredQueries, readCompletions, selectQueries } from "../influence/select_queries.ts";
import { readWorldArtifact } from "./world_stage.ts";
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
 * as many right as wrong, see `selectQueries`), then the chosen factual queries again with their gold
 * completions (`measuredQueries`: rows `…#gold`, for the planted-fact check), tokenized as the tokenize stage does (BOS + prompt,
 * completion + EOS). For each, V = ∇_W(−f) with f = log p(completion | prompt) — the summed cross-entropy
 * of the completion tokens, prompt positions masked, real labels, weight 1 — then P = (G + λI)⁻¹ V with
 * the setup's strategy (λ from `resolveDamping`), optionally truncated to rank k. Writes
 * `queries.safetensors` (`<layer>` F32 [Q, out, in] per tracked layer: P) and `queries.json`
 * ({@linkcode QueriesFile}).
 */
export const queryGradientsStage: StageDef = {
  name: "query_gradients",
  version: 3,
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
    const tok = defaultTokenizer();
    const prompts = queries.map((q) => tok.encode(q.prompt, { bos: true }));
    const completions = queries.map((q) => tok.encode(q.completion, { eos: true }));
    const gpu = await acquireDevice();
    try {
      const llama = new GpuLlama(gpu, model.config, model.params);
      const names = model.layers.map((l) => l.name);
      const v = new Map(
        model.layers.map((l) => [l.name, new Float32Array(queries.length * l.outDim * l.inDim)]),
      );
      const nats: number[] = [];
      const progress = ctx.progress("query gradients", queries.length);
      for (let first = 0; first < queries.length; first += QUERY_BATCH) {
        const index = queries.slice(first, first + QUERY_BATCH).map((_, i) => first + i);
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
        progress.tick(index.length);
      }
      progress.done();
      llama.destroy();
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
