import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import { gradientNormalisedScores, perNatScores } from "../../engine/influence/mod.ts";
import { DocumentScorer, tokenScoresGpu } from "../../engine/influence/gpu/mod.ts";
import { nextTokenLabels } from "../../engine/reference/cross_entropy.ts";
import { Tensor } from "../../engine/tensor.ts";
import { atomicWrite } from "../run/atomic_write.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import type { Gpu } from "../../engine/gpu.ts";
import { documentIds, uploadSequences } from "../influence/device_batch.ts";
import { type InfluenceModel, readInfluenceModel } from "../influence/influence_model.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import type { QueriesFile } from "./query_gradients_stage.ts";
import { readTokenizedCorpus, type TokenizedCorpus } from "./tokenize_stage.ts";
import {
  joinChunks,
  type ScoreChunk,
  scoreTopTokens,
  type TopTokenScores,
} from "../influence/top_token_scores.ts";

/** Documents per forward/backward batch inside a chunk. */
export const SCORE_BATCH_DOCUMENTS = 16;

/**
 * Documents per query product (several forward/backward batches queued in the scorer; fixes its work
 * buffers, L·128·out·in floats). On llvmpipe a product 16 documents wide ran at a fifth of a GFLOP/s,
 * slower than the forward and backward passes that fed it; 128 wide fills the GEMM's tile.
 */
export const SCORE_PRODUCT_DOCUMENTS = 128;

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

/** Documents of shard `index` (1-based) of `count`: a contiguous range [first, last) of whole chunks. */
export function shardRange(chunks: number, index: number, count: number): [number, number] {
  return [Math.floor(((index - 1) * chunks) / count), Math.floor((index * chunks) / count)];
}

const chunkFile = (c: number) => `chunk-${String(c).padStart(6, "0")}.safetensors`;

/** What every part of the scores stage reads: the model, the corpus, the preconditioned queries. */
interface ScoringInputs {
  influence: InfluenceSettings & { seed: number };
  model: Awaited<ReturnType<typeof readInfluenceModel>>;
  corpus: TokenizedCorpus;
  queries: QueriesFile;
  qdir: string;
  qfile: ReturnType<typeof readSafetensors>;
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
  const queries = JSON.parse(await Deno.readTextFile(join(qdir, "queries.json"))) as QueriesFile;
  const qfile = readSafetensors(await Deno.readFile(join(qdir, "queries.safetensors")));
  const nd = corpus.documentIds.length, chunk = influence.scoreChunkDocuments;
  return {
    influence,
    model,
    corpus,
    queries,
    qdir,
    qfile,
    nq: queries.ids.length,
    rows: queries.ids.length + (queries.rawGradients ? queries.rawRows ?? queries.ids.length : 0),
    nd,
    nl: model.layers.length,
    chunk,
    chunks: Math.ceil(nd / chunk),
  };
}

/** The model and the preconditioned queries on a device, for scoring. */
function uploadScoring(gpu: Gpu, env: ScoringInputs) {
  const tensor = (name: string) => {
    const t = env.qfile.tensors.get(name);
    if (t?.dtype !== "F32") throw new Error(`${env.qdir}: queries.safetensors lacks F32 "${name}"`);
    return t.data as Float32Array;
  };
  // [P; V]: the identity control's rows follow the queries' when the raw gradients were kept.
  const p = new Map(env.model.layers.map((l) => {
    const data = env.rows === env.nq ? tensor(l.name) : concat(tensor(l.name), tensor(`raw.${l.name}`));
    return [l.name, data];
  }));
  return scoringDevice(gpu, env.model, p, env.rows, env.corpus);
}

/**
 * A model and query rows on a device, ready to score documents of a corpus.
 *
 * @param gpu The device.
 * @param model The influence model.
 * @param p Query rows per tracked layer, F32 [rows, out, in] row-major.
 * @param rows Number of query rows.
 * @param corpus The tokenized corpus (its scored documents are the ones scored).
 * @returns The uploaded rows, a function forming a batch's gradient records, and a destructor.
 */
export function scoringDevice(
  gpu: Gpu,
  model: InfluenceModel,
  p: ReadonlyMap<string, Float32Array>,
  rows: number,
  corpus: TokenizedCorpus,
) {
  const llama = new GpuLlama(gpu, model.config, model.params);
  const uploaded = new Map(
    model.layers.map((l) => [l.name, Tensor.from(gpu, p.get(l.name)!, [rows, l.outDim, l.inDim])]),
  );
  const records = (docs: number[]) => {
    const seqs = docs.map((d) => documentIds(corpus.documents, d));
    const batch = uploadSequences(gpu, seqs, (r) => nextTokenLabels(seqs[r], 1, seqs[r].length));
    const out = llama.lossAndGradWithRecords(batch.batch, {
      layers: model.layers.map((l) => l.name),
      paramGrads: false,
    });
    // Padded rows carry no loss term and follow their document: their g is exactly zero.
    const recordBatch = { records: out.records, sequences: batch.sequences, slotRows: batch.batch.seqLen };
    return { batch, records: recordBatch };
  };
  const destroy = () => {
    for (const t of uploaded.values()) t.destroy();
    llama.destroy();
  };
  return { p: uploaded, records, destroy };
}

/**
 * Scores documents [start, start + count) of the corpus against every query row: batches of similar
 * length, queued in the scorer and multiplied {@linkcode SCORE_PRODUCT_DOCUMENTS} at most at a time.
 *
 * @param device From {@linkcode scoringDevice}.
 * @param scorer A `DocumentScorer` over the device's query rows.
 * @param layers The tracked layers, in order.
 * @param rows Number of query rows.
 * @param corpus The tokenized corpus.
 * @param start First document.
 * @param count Number of documents.
 * @param tick Called with the number of documents scored after each product.
 * @returns Scores [rows, count], per-layer scores and document-gradient norms (rounded to f32).
 */
export async function scoreDocumentRange(
  device: ReturnType<typeof scoringDevice>,
  scorer: DocumentScorer,
  layers: readonly { name: string }[],
  rows: number,
  corpus: TokenizedCorpus,
  start: number,
  count: number,
  tick: (documents: number) => void,
): Promise<ChunkResult> {
  const nq = rows;
  const result: ChunkResult = {
    scores: new Float64Array(nq * count),
    perLayer: layers.map(() => new Float64Array(nq * count)),
    norms: new Float64Array(count),
  };
  // Batches of similar length (the documents by length, then index): a batch is padded to its longest
  // document, so this cuts the padded positions the forward and backward pass compute.
  const length = (d: number) => corpus.documents.offsets[d + 1] - corpus.documents.offsets[d];
  const order = Array.from({ length: count }, (_, i) => start + i).sort((x, y) =>
    length(x) - length(y) || x - y
  );
  // Consecutive batches are queued in the scorer and scored together, SCORE_PRODUCT_DOCUMENTS at most.
  let queued: number[] = [];
  const scoreQueued = async () => {
    const part = await scorer.scoreQueued();
    const place = (target: Float64Array, source: Float64Array) => {
      for (let q = 0; q < nq; q++) {
        for (let d = 0; d < queued.length; d++) {
          target[q * count + queued[d] - start] = source[q * queued.length + d];
        }
      }
    };
    place(result.scores, part.scores);
    layers.forEach((l, i) => place(result.perLayer[i], part.perLayer.get(l.name)!));
    // Rounded to f32 as stored, so that a chunk rebuilt from the output file resumes exactly.
    queued.forEach((d, i) => (result.norms[d - start] = Math.fround(part.norms[i])));
    tick(queued.length);
    queued = [];
  };
  for (let b = 0; b < count; b += SCORE_BATCH_DOCUMENTS) {
    const docs = order.slice(b, b + SCORE_BATCH_DOCUMENTS);
    if (queued.length + docs.length > SCORE_PRODUCT_DOCUMENTS) await scoreQueued();
    const { batch, records } = device.records(docs);
    scorer.add(records);
    batch.destroy();
    queued.push(...docs);
  }
  if (queued.length > 0) await scoreQueued();
  return result;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Scores chunks [first, last), resuming from chunks saved in the work folder. */
async function computeChunks(
  ctx: StageContext,
  env: ScoringInputs,
  first: number,
  last: number,
): Promise<{ results: ChunkResult[]; resumed: number }> {
  const { rows, nq, nd, nl, chunk, model } = env;
  const results: ChunkResult[] = [];
  let resumed = 0;
  const gpu = await acquireDevice();
  try {
    const device = uploadScoring(gpu, env);
    const scorer = new DocumentScorer(gpu, model.layers, device.p, { maxDocuments: SCORE_PRODUCT_DOCUMENTS });
    const total = Math.min(last * chunk, nd) - first * chunk;
    const progress = ctx.progress("documents", total);
    for (let c = first; c < last; c++) {
      const start = c * chunk, count = Math.min(chunk, nd - start);
      const saved = await readChunk(join(ctx.workDir, chunkFile(c)), rows, nq, count, nl);
      if (saved !== null) {
        results.push(saved);
        resumed++;
        progress.tick(count);
        continue;
      }
      const result = await scoreDocumentRange(
        device,
        scorer,
        model.layers,
        rows,
        env.corpus,
        start,
        count,
        (n) => progress.tick(n),
      );
      // Per-layer scores are kept for the queries' rows only (the output has none for the control rows).
      result.perLayer = result.perLayer.map((l) => l.slice(0, nq * count));
      await atomicWrite(join(ctx.workDir, chunkFile(c)), encodeChunk(result, rows, nq, count));
      results.push(result);
    }
    progress.done();
    scorer.destroy();
    device.destroy();
    if (resumed > 0) ctx.log(`resumed ${resumed} of ${last - first} chunks from the work folder`);
  } finally {
    await gpu.destroy();
  }
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
  let tokens: TopTokenScores;
  const gpu = await acquireDevice();
  try {
    const device = uploadScoring(gpu, env);
    tokens = await scoreTopTokens(
      scores,
      nq,
      nd,
      influence.perTokenTopDocuments,
      (docs, pairs) => {
        const { batch, records } = device.records(docs);
        return tokenScoresGpu(
          gpu,
          model.layers,
          device.p,
          records,
          pairs.map(({ query, slot }) => ({
            query,
            document: batch.sequences[slot],
          })),
        ).finally(() => batch.destroy());
      },
      SCORE_BATCH_DOCUMENTS,
      (d) => corpus.documents.offsets[d + 1] - corpus.documents.offsets[d],
    );
    device.destroy();
  } finally {
    await gpu.destroy();
  }
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
  return {
    queries: nq,
    documents: nd,
    chunks: env.chunks,
    resumedChunks: resumed,
    scoreRange: [min, max],
    tokenScorePairs: tokens.pairs.length,
    // Per-token scores of a pair sum to its score; the largest deviation, relative to max |score|.
    tokenSumDeviation: tokens.maxSumDeviation / Math.max(Math.abs(min), Math.abs(max), Number.MIN_VALUE),
  };
}

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
