import { join } from "node:path";
import { z } from "zod";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import { gradientNormalisedScores, perNatScores } from "../../engine/influence/mod.ts";
import {
  corpusRows,
  joinChunks,
  type QueryMatrix,
  SCORE_BATCH_DOCUMENTS,
  SCORE_PRODUCT_DOCUMENTS,
  type ScoreChunk,
  shardRange,
  type TopTokenScores,
} from "../../engine/influence/pipeline/mod.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import { jsonNumber } from "../run/summary_of.ts";
import { readInfluenceModel } from "../influence/influence_model.ts";
import { withPipeline } from "../influence/with_pipeline.ts";
import { type PlannedPipelineSettings, stagePlannedSettings } from "../influence/memory_check.ts";
import { readQueryRows } from "../influence/module_files.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import type { QueriesFile } from "./query_gradients_stage.ts";
import { readTokenizedCorpus, type TokenizedCorpus } from "./tokenize_stage.ts";
import { queriesFileSchema, readArtifactJson } from "../influence/artifact_files.ts";

/** Documents per forward/backward batch inside a chunk, and per query product (the engine pipeline's). */
export { SCORE_BATCH_DOCUMENTS, SCORE_PRODUCT_DOCUMENTS };

/** Items of shard `index` (1-based) of `count`: a contiguous range [first, last) of whole items. */
export { shardRange };

/** One finished chunk: documents [first, first + count), every array F64 exactly as read back. */
type ChunkResult = ScoreChunk;

/**
 * Stage `scores` (per setup): every document's influence on every query. Documents are streamed in
 * chunks of `scoreChunkDocuments` (forward/backward batches of {@linkcode SCORE_BATCH_DOCUMENTS}); each
 * document's loss is its summed next-token cross-entropy (real labels, weight 1), its gradient is formed
 * once and dotted with all preconditioned queries (`DocumentScorer`). Each finished chunk is saved in the
 * work folder, so a killed run resumes at the first missing chunk with byte-identical results. With
 * `--shard I/N` the stage scores only its slice of whole chunks and writes them as `chunk-NNNNNN.safetensors`;
 * `merge` joins the N slices and finishes as an unsharded run would (bit-identical outputs).
 *
 * Writes `scores.safetensors`: `scores` F32 [Q, D] raw (nats of log p(completion); positive: adding the
 * document raises it), `per_nat` (÷ the query's nats), `norm_normalised` (÷ the document-gradient norm),
 * `norms` F32 [D] (‖∇_W L(x)‖ over the tracked layers), `per_layer.<layer>` F32 [Q, D], and, when the
 * query_gradients stage kept the raw gradients, `identity` F32 [own rows, D]: the identity control, the
 * plain gradient dot product of the same documents and own-completion rows, formed in the same pass (the
 * raw gradients are stacked under the preconditioned ones); `scores.json`
 * (query and document ids in row and column order, nats, every influence setting); and the per-token
 * scores of each query's `perTokenTopDocuments` top documents (`token_scores.safetensors` `values`, indexed
 * by `token_scores.json` pairs: query, document, rank, offset, length = the document's tokens).
 *
 * When the setup's memory plan (`deviceMemoryGiB`) streams modules, each chunk is scored once per module
 * group, its rows read from the query_gradients stage's per-module files, with the plan's batch and product
 * widths; the groups' terms are joined as one scorer of every layer sums them (docs/streaming.md).
 */
export const scoresStage: StageDef = {
  name: "scores",
  version: 6,
  perSetup: true,
  deps: ["tokenize", "model", "query_gradients"],
  settings: (_m, setup) => ({
    influence: setup!.influence,
    batchDocuments: SCORE_BATCH_DOCUMENTS,
    productDocuments: SCORE_PRODUCT_DOCUMENTS,
    // Only when set (manifests without it keep their keys): its plan may narrow the batches and products.
    ...(setup!.deviceMemoryGiB === undefined ? {} : { deviceMemoryGiB: setup!.deviceMemoryGiB }),
  }),
  async run(ctx) {
    const env = await openScoring(ctx);
    if (ctx.shard) {
      // One slice of whole chunks: the same batches as an unsharded run, so merged scores are bit-identical.
      const [first, last] = shardRange(env.chunks, ctx.shard.index, ctx.shard.count);
      const { results, resumed } = await computeChunks(ctx, env, first, last);
      for (const [i, r] of results.entries()) {
        await Deno.writeFile(
          join(ctx.outDir, chunkFile(first + i)),
          encodeChunk(r, env.rows, env.nq, r.norms.length),
        );
      }
      return {
        shard: `${ctx.shard.index}/${ctx.shard.count}`,
        chunks: [first, last],
        resumedChunks: resumed,
      };
    }
    const { results, resumed } = await computeChunks(ctx, env, 0, env.chunks);
    return await finish(ctx, env, results, resumed);
  },
  shards: {
    async merge(ctx, parts) {
      const env = await openScoring(ctx);
      const results: ChunkResult[] = [];
      for (let c = 0; c < env.chunks; c++) {
        const owner = parts.find((p) => p.meta.outputs[chunkFile(c)] !== undefined);
        const count = Math.min(env.chunk, env.nd - c * env.chunk);
        const chunk = owner
          ? await readChunk(join(owner.dir, chunkFile(c)), env.rows, env.nq, count, env.nl)
          : null;
        if (!chunk) throw new Error(`Cannot merge scores: no shard holds chunk ${c} of ${env.chunks}`);
        results.push(chunk);
      }
      return await finish(ctx, env, results, 0);
    },
  },
};

const chunkFile = (c: number) => `chunk-${String(c).padStart(6, "0")}.safetensors`;

/** What every part of the scores stage reads: the model, the corpus, the preconditioned queries. */
interface ScoringInputs {
  influence: InfluenceSettings & { seed: number };
  model: Awaited<ReturnType<typeof readInfluenceModel>>;
  corpus: TokenizedCorpus;
  /** The scored documents' ids, one row each. */
  documents: Int32Array[];
  queries: QueriesFile;
  /** The preconditioned rows (P): resident, or loaded by module group. */
  p: Awaited<ReturnType<typeof readQueryRows>>;
  /** The raw rows of the identity control (V), when kept. */
  raw: Awaited<ReturnType<typeof readQueryRows>> | null;
  /** The setup's planned module groups and scoring widths, or null. */
  planned: PlannedPipelineSettings | null;
  /** Queries. */
  nq: number;
  /** Rows the scorer computes: the queries, then as many identity-control rows when there are raw gradients. */
  rows: number;
  nd: number;
  nl: number;
  chunk: number;
  chunks: number;
}

async function openScoring(ctx: StageContext): Promise<ScoringInputs> {
  const influence = ctx.setup!.influence as InfluenceSettings & { seed: number };
  const model = await readInfluenceModel(ctx.inputs.model.dir, influence);
  const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
  const qdir = ctx.inputs.query_gradients.dir;
  const queries = await readArtifactJson(join(qdir, "queries.json"), queriesFileSchema);
  const nd = corpus.documentIds.length, chunk = influence.scoreChunkDocuments;
  return {
    influence,
    model,
    corpus,
    documents: corpusRows(corpus.documents),
    queries,
    p: await readQueryRows(qdir, "", model.layers),
    raw: queries.rawGradients ? await readQueryRows(qdir, "raw.", model.layers) : null,
    planned: await stagePlannedSettings(ctx, model.config),
    nq: queries.ids.length,
    rows: queries.ids.length + (queries.rawGradients ? queries.rawRows ?? queries.ids.length : 0),
    nd,
    nl: model.layers.length,
    chunk,
    chunks: Math.ceil(nd / chunk),
  };
}

/**
 * The matrices scored in one pass: P (per-layer scores kept), then, when the raw gradients were kept, V
 * of the own-completion rows (the identity control).
 */
function queryMatrices(env: ScoringInputs): QueryMatrix[] {
  const p: QueryMatrix = { p: env.p, rows: env.nq };
  return env.rows === env.nq ? [p] : [p, { p: env.raw!, rows: env.rows - env.nq, perLayer: false }];
}

/** The matrices' chunks as one chunk of all rows: scores [rows, count], the queries' per-layer scores. */
function joinMatrices(chunks: readonly ScoreChunk[]): ChunkResult {
  const scores = new Float64Array(chunks.reduce((n, c) => n + c.scores.length, 0));
  let offset = 0;
  for (const c of chunks) scores.set(c.scores, offset), offset += c.scores.length;
  return { scores, perLayer: chunks[0].perLayer, norms: chunks[0].norms };
}

/** A chunk of all rows split into the matrices' chunks (the inverse of {@linkcode joinMatrices}). */
function splitMatrices(env: ScoringInputs, chunk: ChunkResult, count: number): ScoreChunk[] {
  const own = {
    scores: chunk.scores.subarray(0, env.nq * count),
    perLayer: chunk.perLayer,
    norms: chunk.norms,
  };
  return env.rows === env.nq
    ? [own]
    : [own, { scores: chunk.scores.subarray(env.nq * count), perLayer: [], norms: chunk.norms }];
}

/** Scores chunks [first, last), resuming from chunks saved in the work folder. */
async function computeChunks(
  ctx: StageContext,
  env: ScoringInputs,
  first: number,
  last: number,
): Promise<{ results: ChunkResult[]; resumed: number }> {
  const { rows, nq, nd, nl, chunk } = env;
  const results: ChunkResult[] = [];
  let resumed = 0;
  await withPipeline(env.model, env.influence, async (pipeline) => {
    // One pass over each chunk's documents per module group.
    const passes = pipeline.groups("scoring").length;
    const progress = ctx.progress("documents", (Math.min(last * chunk, nd) - first * chunk) * passes);
    // The queries' rows and the identity control's in one pass over the documents.
    const scored = pipeline.scoreMatrices(queryMatrices(env), env.documents, {
      chunks: [first, last],
      resume: async (c, _start, count) => {
        const saved = await readChunk(join(ctx.workDir, chunkFile(c)), rows, nq, count, nl);
        return saved && splitMatrices(env, saved, count);
      },
      onDocuments: (n) => progress.tick(n),
    });
    for await (const { index, count, chunks, resumed: saved } of scored) {
      const result = joinMatrices(chunks);
      if (saved) resumed++;
      else await atomicWrite(join(ctx.workDir, chunkFile(index)), encodeChunk(result, rows, nq, count));
      results.push(result);
    }
    progress.done();
  }, env.planned);
  if (resumed > 0) ctx.log(`resumed ${resumed} of ${last - first} chunks from the work folder`);
  return { results, resumed };
}

/** From all chunks: per-token scores of the top documents, then every output file. */
async function finish(
  ctx: StageContext,
  env: ScoringInputs,
  results: ChunkResult[],
  resumed: number,
): Promise<unknown> {
  const { nq, rows, nd, model, corpus, queries, influence } = env;
  // Rows [0, nq) are the queries' scores; rows [nq, rows), when present, the identity control's (the
  // own-completion rows, which come first among the queries).
  const all: Float64Array = joinChunks(results, rows, nd, (r) => r.scores);
  const scores = all.subarray(0, nq * nd);
  const identity = rows > nq ? all.subarray(nq * nd) : null;
  const tokens: TopTokenScores = await withPipeline(
    model,
    influence,
    (pipeline) =>
      pipeline.topTokenScores(env.p, nq, env.documents, scores, nq, influence.perTokenTopDocuments),
    env.planned,
  );
  const join2 = (pick: (r: ChunkResult) => Float64Array) => joinChunks(results, nq, nd, pick);
  const norms = new Float64Array(nd);
  let offset = 0;
  for (const r of results) norms.set(r.norms, offset), offset += r.norms.length;
  const f32 = (shape: number[], data: Float64Array): SafetensorsTensor => ({
    dtype: "F32",
    shape,
    data: Float32Array.from(data),
  });
  const tensors: Record<string, SafetensorsTensor> = {
    scores: f32([nq, nd], scores),
    per_nat: f32([nq, nd], perNatScores(scores, Float64Array.from(queries.nats))),
    norm_normalised: f32([nq, nd], gradientNormalisedScores(scores, norms)),
    norms: f32([nd], norms),
    ...(identity ? { identity: f32([rows - nq, nd], identity) } : {}),
  };
  model.layers.forEach((
    l,
    i,
  ) => (tensors[`per_layer.${l.name}`] = f32([nq, nd], join2((r) => r.perLayer[i]))));
  await Deno.writeFile(join(ctx.outDir, "scores.safetensors"), writeSafetensors(tensors));
  const meta = {
    queries: queries.ids,
    sets: queries.sets,
    measurement: queries.measurement,
    correct: queries.correct,
    nats: queries.nats,
    documents: corpus.documentIds,
    influence,
    damping: queries.damping,
    layers: queries.layers,
    controls: identity ? ["identity"] : [],
    sign: "positive: adding the document raises log p(completion | prompt); 1.0 = +1 nat",
  };
  await Deno.writeTextFile(join(ctx.outDir, "scores.json"), JSON.stringify(meta) + "\n");
  await Deno.writeFile(
    join(ctx.outDir, "token_scores.safetensors"),
    writeSafetensors({ values: f32([tokens.values.length], tokens.values) }),
  );
  const tokenIndex = tokens.pairs.map((t) => ({
    query: queries.ids[t.query],
    document: corpus.documentIds[t.document],
    rank: t.rank,
    offset: t.offset,
    length: t.length,
  }));
  await Deno.writeTextFile(
    join(ctx.outDir, "token_scores.json"),
    JSON.stringify({ pairs: tokenIndex }) + "\n",
  );
  let min = Infinity, max = -Infinity;
  for (const s of scores) min = Math.min(min, s), max = Math.max(max, s);
  const summary: ScoresSummary = {
    queries: nq,
    documents: nd,
    chunks: env.chunks,
    resumedChunks: resumed,
    scoreRange: [min, max],
    tokenScorePairs: tokens.pairs.length,
    // Per-token scores of a pair sum to its score; the largest deviation, relative to max |score|.
    tokenSumDeviation: tokens.maxSumDeviation / Math.max(Math.abs(min), Math.abs(max), Number.MIN_VALUE),
  };
  return summary;
}

/** What the scores stage records (an unsharded run or a merge; a shard records its slice). */
export interface ScoresSummary {
  /** Query rows. */
  queries: number;
  /** Documents scored. */
  documents: number;
  /** Chunks of the run. */
  chunks: number;
  /** Chunks taken from the work folder of a killed run. */
  resumedChunks: number;
  /** Smallest and largest raw score. */
  scoreRange: [number, number];
  /** Per-token (query, document) pairs stored. */
  tokenScorePairs: number;
  /** Largest |Σ per-token scores − score| relative to max |score|. */
  tokenSumDeviation: number;
}

/** {@linkcode ScoresSummary} as read back from meta.json. */
export const scoresSummarySchema: z.ZodType<ScoresSummary, unknown> = z.looseObject({
  queries: z.number(),
  documents: z.number(),
  chunks: z.number(),
  resumedChunks: z.number(),
  scoreRange: z.tuple([jsonNumber, jsonNumber]),
  tokenScorePairs: z.number(),
  tokenSumDeviation: jsonNumber,
});

/** A chunk file: `scores` [rows, count] (queries, then any control rows), `layer<i>` [nq, count], `norms`. */
function encodeChunk(r: ChunkResult, rows: number, nq: number, count: number): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {
    scores: { dtype: "F64", shape: [rows, count], data: r.scores },
    norms: { dtype: "F64", shape: [count], data: r.norms },
  };
  r.perLayer.forEach((data, i) => (tensors[`layer${i}`] = { dtype: "F64", shape: [nq, count], data }));
  return writeSafetensors(tensors);
}

/** A saved chunk of the expected shape, or null when it is missing or unreadable. */
async function readChunk(
  path: string,
  rows: number,
  nq: number,
  count: number,
  layers: number,
): Promise<ChunkResult | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return null;
  }
  try {
    const file = readSafetensors(bytes);
    const get = (name: string, size: number) => {
      const t = file.tensors.get(name);
      if (t?.dtype !== "F64" || t.data.length !== size) throw new RangeError(`bad chunk tensor ${name}`);
      return t.data;
    };
    return {
      scores: get("scores", rows * count),
      norms: get("norms", count),
      perLayer: Array.from({ length: layers }, (_, i) => get(`layer${i}`, nq * count)),
    };
  } catch {
    return null;
  }
}
