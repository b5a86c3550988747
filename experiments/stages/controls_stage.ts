import { join } from "node:path";
import { writeSafetensors } from "../../engine/io/mod.ts";
import { corpusRows, SCORE_PRODUCT_DOCUMENTS } from "../../engine/influence/pipeline/mod.ts";
import { initParams } from "../../engine/model/mod.ts";
import { BM25_DEFAULTS, bm25Scores } from "../../reports/analyses/bm25.ts";
import type { StageDef } from "../run/stage.ts";
import { readInfluenceModel } from "../influence/influence_model.ts";
import { measuredQueries, readCompletions, selectQueries } from "../influence/select_queries.ts";
import { withPipeline } from "../influence/with_pipeline.ts";
import { stagePlannedSettings } from "../influence/memory_check.ts";
import { QUERY_MODULES_DIR, readQueryRows, writeQueryModules } from "../influence/module_files.ts";
import { readTokenizedCorpus } from "./tokenize_stage.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import { queriesFileSchema, readArtifactJson } from "../influence/artifact_files.ts";

/** `controls.json` of the controls stage. */
export interface ControlsFile {
  /** Query row ids: the query_gradients and scores stages' own-completion rows, which come first, in order. */
  queries: string[];
  /** Document ids in column order. */
  documents: string[];
  /** BM25 between each row's prompt + completion and each document's text. */
  lexical: { k1: number; b: number; terms: string };
  /** The plain gradient dot product of the same architecture at its seeded random initialisation. */
  untrained: { strategy: "identity"; seed: number; nats: number[] };
}

/** Documents per untrained-control scoring range (progress granularity; results do not depend on it). */
const RANGE_DOCUMENTS = 512;

/**
 * Stage `controls` (per setup): the score matrices of two of the findings' controls, on the same
 * own-completion query rows (the first rows of the scores stage's; the findings use no gold row) and
 * documents as the scores stage. The third,
 * `identity` (the trained model's plain gradient dot product), is formed by the scores stage itself.
 *
 * - `lexical`: Okapi BM25 between each row's prompt + completion and each document ({@linkcode bm25Scores}):
 *   what plain surface overlap of words and numbers ranks highest.
 * - `untrained`: the same architecture at its seeded random initialisation (the setup's training seed):
 *   raw query gradients dotted with document gradients (identity strategy; an untrained model's curvature
 *   carries nothing learnt either). What the architecture and the texts alone produce.
 *
 * Writes `controls.safetensors` (`lexical`, `untrained` F32 [Q, D]) and `controls.json`
 * ({@linkcode ControlsFile}). When the setup's memory plan (`deviceMemoryGiB`) streams modules, the
 * untrained model's query gradients are formed one module group at a time into per-module files of the
 * work folder and the documents scored by group, as the query_gradients and scores stages do.
 */
export const controlsStage: StageDef = {
  name: "controls",
  version: 2,
  perSetup: true,
  deps: ["tokenize", "world", "model", "complete", "query_gradients"],
  settings: (_m, setup) => ({
    lexical: BM25_DEFAULTS,
    untrained: { strategy: "identity", seed: setup!.training.seed },
    trackedModules: setup!.influence.trackedModules,
    productDocuments: SCORE_PRODUCT_DOCUMENTS,
    // Only when set (manifests without it keep their keys): its plan may narrow the scoring products.
    ...(setup!.deviceMemoryGiB === undefined ? {} : { deviceMemoryGiB: setup!.deviceMemoryGiB }),
  }),
  async run(ctx) {
    const setup = ctx.setup!;
    const queriesFile = await readArtifactJson(
      join(ctx.inputs.query_gradients.dir, "queries.json"),
      queriesFileSchema,
    );
    const world = await readWorldArtifact(ctx.inputs.world.dir);
    const measured = measuredQueries(
      selectQueries(await readCompletions(join(ctx.inputs.complete.dir, "completions.jsonl"))).queries,
      new Map(world.queries.map((q) => [q.id, q.completion])),
    );
    if (measured.map((q) => q.id).join("\n") !== queriesFile.ids.join("\n")) {
      throw new Error(
        `controls: the query rows differ from the query_gradients stage's (${measured.length} rows)`,
      );
    }
    // The own-completion rows only (they come first): the findings use no gold row.
    const rows = measured.filter((q) => q.measurement === "own");
    const ids = rows.map((q) => q.id);
    const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
    const nq = rows.length, nd = corpus.documentIds.length;

    const lexical = bm25Scores(rows.map((q) => q.prompt + q.completion), world.documents.map((d) => d.text));

    const trained = await readInfluenceModel(ctx.inputs.model.dir, setup.influence);
    const seed = setup.training.seed;
    const model = { ...trained, params: initParams(trained.config, seed) };
    const tok = (await runTokenizer(ctx.manifest)).tokenizer;
    const queries = rows.map((q) => ({
      prompt: tok.encode(q.prompt, { bos: true }),
      completion: tok.encode(q.completion, { eos: true }),
    }));
    const documents = corpusRows(corpus.documents);
    const untrained = new Float64Array(nq * nd);
    const planned = await stagePlannedSettings(ctx, model.config);
    const nats = planned?.moduleGroups == null
      ? await withPipeline(model, setup.influence, async (pipeline) => {
        const bar = ctx.progress("query gradients", nq);
        const grads = await pipeline.queryGradients(queries, (n) => bar.tick(n));
        bar.done();
        const scoring = pipeline.scoring(grads.v, nq);
        try {
          const progress = ctx.progress("untrained control", nd);
          for (let start = 0; start < nd; start += RANGE_DOCUMENTS) {
            const count = Math.min(RANGE_DOCUMENTS, nd - start);
            const part = await scoring.scoreRange(documents, start, count, (n) => progress.tick(n));
            for (let q = 0; q < nq; q++) {
              untrained.set(part.scores.subarray(q * count, (q + 1) * count), q * nd + start);
            }
          }
          progress.done();
        } finally {
          scoring.destroy();
        }
        return grads.nats;
      }, planned)
      : await untrainedInGroups(ctx, model, setup.influence, planned, queries, documents, untrained);
    const f32 = (data: Float64Array) => ({
      dtype: "F32" as const,
      shape: [nq, nd],
      data: Float32Array.from(data),
    });
    await Deno.writeFile(
      join(ctx.outDir, "controls.safetensors"),
      writeSafetensors({ lexical: f32(lexical), untrained: f32(untrained) }),
    );
    const file: ControlsFile = {
      queries: ids,
      documents: corpus.documentIds,
      lexical: { ...BM25_DEFAULTS, terms: "lower-cased words and signed integers (bm25Terms)" },
      untrained: { strategy: "identity", seed, nats },
    };
    await Deno.writeTextFile(join(ctx.outDir, "controls.json"), JSON.stringify(file) + "\n");
    return { queries: nq, documents: nd, controls: ["lexical", "untrained"] };
  },
};

/**
 * The untrained control with the tracked modules streamed: V per module group into per-module files of
 * the work folder, then every chunk scored once per group with its rows read back.
 */
async function untrainedInGroups(
  ctx: Parameters<StageDef["run"]>[0],
  model: Parameters<typeof withPipeline>[0],
  influence: Parameters<typeof withPipeline>[1],
  planned: Parameters<typeof withPipeline>[3],
  queries: { prompt: Int32Array; completion: Int32Array }[],
  documents: Int32Array[],
  untrained: Float64Array,
): Promise<number[]> {
  const nq = queries.length, nd = documents.length;
  const dir = join(ctx.workDir, "untrained");
  return await withPipeline(model, influence, async (pipeline) => {
    const groups = pipeline.groups("query gradients");
    const bar = ctx.progress("query gradients", nq * groups.length);
    let nats: number[] = [];
    for (const layers of groups) {
      const grads = await pipeline.queryGradients(queries, (n) => bar.tick(n), layers);
      await writeQueryModules(join(dir, QUERY_MODULES_DIR), layers, grads.v, nq, null);
      nats = grads.nats;
    }
    bar.done();
    const rows = await readQueryRows(dir, "", pipeline.layers);
    const progress = ctx.progress("untrained control", nd * pipeline.groups("scoring").length);
    for await (
      const { start, count, chunk } of pipeline.scoreDocuments(rows, nq, documents, {
        onDocuments: (n) => progress.tick(n),
      })
    ) {
      for (let q = 0; q < nq; q++) {
        untrained.set(chunk.scores.subarray(q * count, (q + 1) * count), q * nd + start);
      }
    }
    progress.done();
    return nats;
  }, planned);
}
