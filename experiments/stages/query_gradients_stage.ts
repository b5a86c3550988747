import { join } from "node:path";
import { z } from "zod";
import { type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import { QUERY_BATCH } from "../../engine/influence/pipeline/mod.ts";
import type { StageDef } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import { stagePlannedSettings } from "../influence/memory_check.ts";
import { QUERY_MODULES_DIR, readFactorSource, writeQueryModules } from "../influence/module_files.ts";
import { modelSummarySchema } from "./model_stage.ts";
import { summaryOf } from "../run/summary_of.ts";
import { sha256Hex } from "../run/hash.ts";
import { readInfluenceModel } from "../influence/influence_model.ts";
import { measuredQueries, readCompletions, selectQueries } from "../influence/select_queries.ts";
import { withPipeline } from "../influence/with_pipeline.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";

/** Queries per forward/backward batch (the engine pipeline's). */
export { QUERY_BATCH };

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

function querySettings(influence: InfluenceSettings, deviceMemoryGiB: number | undefined) {
  return {
    strategy: influence.strategy,
    trackedModules: influence.trackedModules,
    damping: influence.damping,
    queryRank: influence.queryRank,
    batchQueries: QUERY_BATCH,
    measurement: "log p(completion | prompt), model's own completion",
    // Only when set (manifests without it keep their keys): a plan that streams modules writes per module.
    ...(deviceMemoryGiB === undefined ? {} : { deviceMemoryGiB }),
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
 * with the documents too, for the identity control) and `queries.json` ({@linkcode QueriesFile}). When the
 * setup's memory plan (`deviceMemoryGiB`) streams modules, V and P are formed one module group at a time
 * (one pass over the queries per group, each group's factors read from their per-module files) and written
 * per module instead: `queries/<layer>.safetensors` with `<layer>` and `raw.<layer>` (docs/streaming.md).
 */
export const queryGradientsStage: StageDef = {
  name: "query_gradients",
  version: 5,
  perSetup: true,
  deps: ["tokenize", "world", "model", "complete", "factors"],
  settings: (_m, setup) => querySettings(setup!.influence, setup!.deviceMemoryGiB),
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
    // The factors, checked against the model and tokenizer: one file, or per module, read by group.
    const factors = await readFactorSource(
      ctx.inputs.factors.dir,
      influence.strategy === "identity" ? null : {
        modelSha256: summaryOf(ctx.inputs.model, modelSummarySchema).checkpointSha256,
        tokenizerSha256: await sha256Hex(
          await Deno.readFile(join(ctx.inputs.tokenize.dir, "tokenizer.json")),
        ),
        layers: model.layers.map(({ name, outDim, inDim }) => ({ name, outDim, inDim })),
      },
    );
    const planned = await stagePlannedSettings(ctx, model.config);
    const perModule = planned?.moduleGroups != null;
    const tok = (await runTokenizer(ctx.manifest)).tokenizer;
    const rows = queries.map((q) => ({
      prompt: tok.encode(q.prompt, { bos: true }),
      completion: tok.encode(q.completion, { eos: true }),
    }));
    const rawGradients = influence.strategy !== "identity";
    // The controls serve the findings, which use the own-completion rows only: those come first.
    const ownRows = queries.findIndex((q) => q.measurement !== "own");
    const rawRows = ownRows < 0 ? queries.length : ownRows;
    if (queries.slice(rawRows).some((q) => q.measurement === "own")) {
      throw new Error("query_gradients: own-completion rows must precede the gold rows");
    }
    return await withPipeline(model, influence, async (pipeline) => {
      // One pass over the queries per module group; each group's V and P written before the next.
      const bar = ctx.progress("query gradients", rows.length * pipeline.groups("query gradients").length);
      const p = new Map<string, Float32Array>(), v = new Map<string, Float32Array>();
      const damping = new Map<string, number>();
      let nats: number[] = [];
      for await (const group of pipeline.preconditionGroups(rows, factors, (n) => bar.tick(n))) {
        nats = group.nats;
        for (const [name, lambda] of group.damping) damping.set(name, lambda);
        if (perModule) {
          const raw = rawGradients ? { v: group.v, rows: rawRows } : null;
          await writeQueryModules(
            join(ctx.outDir, QUERY_MODULES_DIR),
            group.layers,
            group.p,
            queries.length,
            raw,
          );
          continue;
        }
        for (const [name, rows] of group.p) p.set(name, rows);
        for (const [name, rows] of group.v) v.set(name, rows);
      }
      bar.done();
      if (!perModule) {
        const tensors: Record<string, SafetensorsTensor> = {};
        model.layers.forEach((l) => {
          tensors[l.name] = {
            dtype: "F32",
            shape: [queries.length, l.outDim, l.inDim],
            data: p.get(l.name)!,
          };
        });
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
      }
      const file: QueriesFile = {
        ids: queries.map((q) => q.id),
        sets: queries.map((q) => q.set),
        nats,
        correct: queries.map((q) => q.correct),
        measurement: queries.map((q) => q.measurement),
        completionTokens: rows.map((r) => r.completion.length),
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
      } satisfies QueryGradientsSummary;
    }, planned);
  },
};

/** What the query_gradients stage records. */
export interface QueryGradientsSummary {
  /** Query rows (own completions, then gold rows). */
  queries: number;
  /** How the factual queries were chosen. */
  factual: QueriesFile["selection"];
  /** Mean −log p(completion | prompt) over the rows, nats. */
  meanNats: number;
  /** λ per tracked layer. */
  damping: Record<string, number>;
}

/** {@linkcode QueryGradientsSummary} as read back from meta.json. */
export const queryGradientsSummarySchema: z.ZodType<QueryGradientsSummary, unknown> = z.looseObject({
  queries: z.number(),
  factual: z.custom<QueriesFile["selection"]>((v) => typeof v === "object" && v !== null),
  meanNats: z.number(),
  damping: z.record(z.string(), z.number()),
});
