import { join } from "node:path";
import { z } from "zod";
import { readSafetensors } from "../../engine/io/mod.ts";
import {
  INFLUENCE_STRATEGIES,
  type InfluenceStrategy,
  type PreconditionFactors,
  resolveDamping,
} from "../../engine/influence/mod.ts";
import {
  type InfluencePipeline,
  joinChunks,
  type QueryMatrix,
  SCORE_PRODUCT_DOCUMENTS,
  type ScoreChunk,
} from "../../engine/influence/pipeline/mod.ts";
import {
  type FineTuneProtocol,
  GpuBackend,
  measureChange,
  type MeasuredQuery,
  type PbrfCurvature,
  pbrfCurvature,
} from "../../engine/influence/counterfactual/mod.ts";
import { Rng } from "../../engine/model/prng.ts";
import { bootstrapMean, type MeanInterval } from "../../reports/analyses/bootstrap_mean.ts";
import { linearDatamodelingScore } from "../../reports/analyses/linear_datamodeling_score.ts";
import { deriveSeed } from "../manifest/derive_seed.ts";
import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import { jsonNumber } from "../run/summary_of.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import type { CounterfactualSettings } from "../schema/counterfactual_schema.ts";
import { readAllFactors, readQueryRows } from "../influence/module_files.ts";
import { readInfluenceModel } from "../influence/influence_model.ts";
import { withPipeline } from "../influence/with_pipeline.ts";
import { measuredQueries, readCompletions, selectQueries } from "../influence/select_queries.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import { readTokenizedCorpus } from "./tokenize_stage.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { queriesFileSchema, readArtifactJson, scoresFileSchema } from "../influence/artifact_files.ts";

/** The fine-tunes each sampled query gets, in order; `random` serves every query. */
export const COUNTERFACTUAL_ARMS = ["topk", "random", "bottomk", "identity", "lexical"] as const;
/** A fine-tune arm: top-k, random-k and bottom-k of the scores, and the top-k of two controls. */
export type CounterfactualArm = typeof COUNTERFACTUAL_ARMS[number];

/** Mean change of log p(completion | prompt) over queries, nats, with its bootstrap interval. */
export type ChangeInterval = Pick<MeanInterval, "mean" | "low" | "high" | "n">;

/** `counterfactual.json` of the counterfactual stage (one setup). */
export interface CounterfactualFile {
  /** The settings the checks ran with (null: the manifest has no `counterfactual` block, nothing ran). */
  settings: (CounterfactualSettings & { seed: number }) | null;
  /** Documents per fine-tune of the top-k arms. */
  k: number;
  /** Sampled query ids (own-completion rows) and their sets. */
  queries: string[];
  sets: string[];
  /** Strategy the top-k and bottom-k arms rank by (the setup's). */
  strategy: InfluenceStrategy;
  /** Per arm: the mean change over the sampled queries of their own fine-tune, and per set. */
  arms: Record<CounterfactualArm, ChangeInterval>;
  bySet: Record<string, Record<CounterfactualArm, ChangeInterval>>;
  /**
   * Per sampled query and arm: measured change, and the first-order predictions: the summed raw scores
   * of the fine-tune's documents under the setup's strategy and the identity, each times the protocol's
   * scale (lr·steps or ε): the change the scores predict.
   */
  points: {
    query: string;
    set: string;
    arm: CounterfactualArm;
    measured: number;
    predicted: number;
    identity: number;
  }[];
  /** LDS per strategy over the sampled queries. */
  lds: Partial<Record<InfluenceStrategy, ChangeInterval & { subsets: number; perQuery: number[] }>>;
  /** Per LDS subset: the measured change per sampled query, and the predicted change per strategy. */
  ldsPoints: { measured: number[]; predicted: Partial<Record<InfluenceStrategy, number[]>> }[];
  /**
   * Gradient protocol: the median over `points` of measured ÷ the identity's first-order prediction (1 in
   * the linear regime; how the step size is checked). Null for the PBRF.
   */
  linearity: number | null;
  /** PBRF only: curvature bounds and the largest residual gradient norm left (relative). */
  pbrf: { curvature: PbrfCurvature; maxResidual: number } | null;
  /** Fine-tunes run (how many a killed run had finished is in the stage's summary, `resumed`). */
  fineTunes: number;
}

/** Resolved settings of the stage for a setup, or null when the manifest has no block. */
function counterfactualSettings(m: ResolvedManifest, setup: ResolvedSetup) {
  const c = m.counterfactual;
  if (c === undefined) return null;
  return { ...c, seed: c.seed ?? deriveSeed(m.seed, `counterfactual/${setup.name}`) };
}

/**
 * Stage `counterfactual` (per setup; docs/method.md, "Counterfactual checks"): does training on the top
 * documents change the completion as the scores predict? From the proxy's final weights, short
 * fine-tunes of the tracked weights only (protocol `gradient` or `pbrf`, {@link
 * ../../engine/influence/counterfactual/fine_tune.ts fineTune}) on, for each query sampled from every
 * set: the k documents its scores rank highest (`topk`), k random documents (`random`), the k lowest
 * (`bottomk`), and the top k of the identity (gradient dot product) and lexical (BM25) controls. Each
 * fine-tune's change of log p(completion | prompt) is measured for every sampled query (the random
 * fine-tunes serve all queries: a query's random change is their mean). Then the linear datamodeling
 * score: `ldsSubsets` random subsets of a pool of `ldsDocuments` scored documents, one fine-tune each;
 * per strategy (EK-FAC, K-FAC, diagonal, identity: the sampled queries' raw gradients preconditioned
 * with each and dotted with the pool), the Spearman correlation per query between the summed scores
 * of a subset and the measured change, averaged over queries with a bootstrap interval.
 *
 * Seeded and deterministic; each fine-tune's result is kept in the work folder, so a killed run resumes
 * where it stopped. Writes `counterfactual.json` ({@linkcode CounterfactualFile}).
 */
export const counterfactualStage: StageDef = {
  name: "counterfactual",
  version: 1,
  perSetup: true,
  deps: ["tokenize", "world", "model", "complete", "factors", "query_gradients", "scores", "controls"],
  settings: (m, setup) => ({
    counterfactual: counterfactualSettings(m, setup!),
    influence: setup!.influence,
    bootstrap: m.analyses.bootstrap,
    productDocuments: SCORE_PRODUCT_DOCUMENTS,
  }),
  async run(ctx) {
    const settings = counterfactualSettings(ctx.manifest, ctx.setup!);
    if (settings === null) {
      await Deno.writeTextFile(
        join(ctx.outDir, "counterfactual.json"),
        JSON.stringify({ settings: null }) + "\n",
      );
      return { ran: false };
    }
    const { file, resumed } = await runChecks(ctx, settings);
    await Deno.writeTextFile(join(ctx.outDir, "counterfactual.json"), JSON.stringify(file) + "\n");
    return {
      ran: true,
      queries: file.queries.length,
      fineTunes: file.fineTunes,
      resumed,
      arms: Object.fromEntries(COUNTERFACTUAL_ARMS.map((a) => [a, file.arms[a].mean])),
      lds: Object.fromEntries(Object.entries(file.lds).map(([s, l]) => [s, l.mean])),
    };
  },
};

/** Draws `count` distinct indices of [0, n) (partial Fisher-Yates), in draw order. */
function sample(rng: Rng, n: number, count: number): number[] {
  const index = Array.from({ length: n }, (_, i) => i);
  const m = Math.min(count, n);
  for (let i = 0; i < m; i++) {
    const j = i + (rng.nextUint32() % (n - i));
    [index[i], index[j]] = [index[j], index[i]];
  }
  return index.slice(0, m);
}

/** Indices of the k largest (or smallest) values of a row, ties by index. */
function extremes(row: ArrayLike<number>, k: number, largest: boolean): number[] {
  const order = Array.from({ length: row.length }, (_, i) => i);
  order.sort((a, b) => (largest ? row[b] - row[a] : row[a] - row[b]) || a - b);
  return order.slice(0, k);
}

/**
 * Every strategy's raw scores of the documents for the queries, in one pass over the documents: the raw
 * gradients preconditioned with each strategy (its own damping), the strategies' rows scored together.
 *
 * @returns Per strategy, the scores [queries, documents] row-major.
 */
async function strategyScores(
  pipeline: InfluencePipeline,
  v: ReadonlyMap<string, Float32Array>,
  queries: number,
  factors: PreconditionFactors,
  documents: readonly Int32Array[],
  onDocuments: (documents: number) => void,
): Promise<Map<InfluenceStrategy, Float64Array>> {
  const matrices: QueryMatrix[] = [];
  for (const strategy of INFLUENCE_STRATEGIES) {
    const { p } = await pipeline.precondition(v, queries, factors, strategy);
    matrices.push({ p, rows: queries, perLayer: false });
  }
  const chunks: ScoreChunk[][] = [];
  for await (const scored of pipeline.scoreMatrices(matrices, documents, { onDocuments })) {
    chunks.push(scored.chunks);
  }
  return new Map(INFLUENCE_STRATEGIES.map((strategy, s) => [
    strategy,
    joinChunks(chunks.map((c) => c[s]), queries, documents.length, (c) => c.scores),
  ]));
}

/** What the fine-tunes left: each job's change per sampled query, and the PBRF's curvature and residual. */
interface FineTuneRuns {
  /** Change of each sampled query's log p(completion | prompt), nats, per job name. */
  changes: Map<string, number[]>;
  /** PBRF only: the objective's curvature bounds (null for the gradient protocol). */
  curvature: PbrfCurvature | null;
  /** PBRF only: the largest residual gradient norm left (relative); 0 for the gradient protocol. */
  maxResidual: number;
  /** Jobs taken from the work folder of a killed run. */
  resumed: number;
}

/** A fine-tune's result as kept in the work folder (NaN changes written as null). */
const savedFineTune = (n: number) =>
  z.object({ change: z.array(jsonNumber).length(n), residual: z.number().nullable() });

/**
 * Runs the fine-tune jobs in order from the final weights, measuring each one's change of every
 * sampled query. Each result is kept in the work folder once done and taken from there by a later
 * run, so a killed run resumes at the first job it had not finished, with the same results.
 */
async function runFineTunes(
  ctx: StageContext,
  backend: GpuBackend,
  settings: CounterfactualSettings & { seed: number },
  damping: ReadonlyMap<string, number>,
  jobs: readonly { name: string; docs: number[] }[],
  doc: (d: number) => Int32Array,
  queries: readonly MeasuredQuery[],
): Promise<FineTuneRuns> {
  const protocol: FineTuneProtocol = settings.protocol === "gradient"
    ? { protocol: "gradient", lr: settings.lr, steps: settings.steps }
    : { protocol: "pbrf", epsilon: settings.epsilon, iterations: settings.iterations, damping };
  const curvature = protocol.protocol === "pbrf" ? await pbrfCurvature(backend, damping) : null;
  const baseline = await backend.measure(queries);
  const changes = new Map<string, number[]>();
  let maxResidual = 0, resumed = 0;
  const bar = ctx.progress("fine-tunes", jobs.length);
  for (const job of jobs) {
    const path = join(ctx.workDir, `${job.name}.json`);
    let saved = await readSaved(path, queries.length);
    if (saved !== null) {
      resumed++;
    } else {
      const docs = job.docs.map(doc);
      const { change, result } = await measureChange(
        backend,
        docs,
        queries,
        baseline,
        protocol,
        curvature ?? undefined,
      );
      saved = { change: [...change], residual: Number.isFinite(result.residual) ? result.residual : null };
      await atomicWrite(path, new TextEncoder().encode(JSON.stringify(saved) + "\n"));
    }
    changes.set(job.name, saved.change);
    maxResidual = Math.max(maxResidual, saved.residual ?? 0);
    bar.tick(1);
  }
  bar.done();
  if (resumed > 0) ctx.log(`resumed ${resumed} of ${jobs.length} fine-tunes from the work folder`);
  return { changes, curvature, maxResidual, resumed };
}

async function runChecks(
  ctx: StageContext,
  settings: CounterfactualSettings & { seed: number },
): Promise<{ file: CounterfactualFile; resumed: number }> {
  const setup = ctx.setup!, influence = setup.influence;
  const qdir = ctx.inputs.query_gradients.dir, sdir = ctx.inputs.scores.dir, cdir = ctx.inputs.controls.dir;
  const queriesFile = await readArtifactJson(join(qdir, "queries.json"), queriesFileSchema);
  const scoresMeta = await readArtifactJson(join(sdir, "scores.json"), scoresFileSchema);
  const scoreTensors = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors"))).tensors;
  const controlTensors = readSafetensors(await Deno.readFile(join(cdir, "controls.safetensors"))).tensors;
  const f32 = (map: typeof scoreTensors, name: string, where: string) => {
    const t = map.get(name);
    if (t?.dtype !== "F32") throw new Error(`counterfactual: ${where} lacks F32 "${name}"`);
    return t.data as Float32Array;
  };
  const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
  if (corpus.documentIds.join("\n") !== scoresMeta.documents.join("\n")) {
    throw new Error("counterfactual: the scores' document columns differ from the tokenized corpus");
  }
  const nd = corpus.documentIds.length;
  const rawRows = queriesFile.rawRows ?? 0;
  if (!queriesFile.rawGradients || rawRows === 0) {
    throw new Error(
      `counterfactual: setup ${setup.name} has no raw query gradients (influence.strategy "identity"?); ` +
        "the checks need a preconditioned strategy",
    );
  }
  const scores = f32(scoreTensors, "scores", "scores.safetensors");
  const identity = f32(scoreTensors, "identity", "scores.safetensors");
  const lexical = f32(controlTensors, "lexical", "controls.safetensors");
  const row = (m: Float32Array, q: number) => m.subarray(q * nd, (q + 1) * nd);

  // The sample: `queries` own-completion rows from each set, in set order of first appearance.
  const setsInOrder = [...new Set(queriesFile.sets.slice(0, rawRows))];
  const chosen: number[] = [];
  for (const set of setsInOrder) {
    const rows = queriesFile.sets.flatMap((s, i) => (i < rawRows && s === set ? [i] : []));
    const picked = sample(new Rng(settings.seed, `queries/${set}`), rows.length, settings.queries);
    chosen.push(...picked.sort((a, b) => a - b).map((i) => rows[i]));
  }
  const ids = chosen.map((q) => queriesFile.ids[q]), sets = chosen.map((q) => queriesFile.sets[q]);
  const n = chosen.length;

  // Prompt and completion tokens of the sampled rows, as the query_gradients stage formed them.
  const world = await readWorldArtifact(ctx.inputs.world.dir);
  const measured = measuredQueries(
    selectQueries(await readCompletions(join(ctx.inputs.complete.dir, "completions.jsonl"))).queries,
    new Map(world.queries.map((q) => [q.id, q.completion])),
  );
  if (measured.map((q) => q.id).join("\n") !== queriesFile.ids.join("\n")) {
    throw new Error("counterfactual: the query rows differ from the query_gradients stage's");
  }
  const tok = (await runTokenizer(ctx.manifest)).tokenizer;
  const queries = chosen.map((q) => ({
    prompt: tok.encode(measured[q].prompt, { bos: true }),
    completion: tok.encode(measured[q].completion, { eos: true }),
  }));
  const doc = (d: number) =>
    corpus.documents.tokens.subarray(corpus.documents.offsets[d], corpus.documents.offsets[d + 1]);

  // The fine-tunes: per sampled query its five arms, then the LDS subsets of the pool.
  const k = Math.min(settings.k, nd);
  const pool = sample(new Rng(settings.seed, "lds/pool"), nd, settings.ldsDocuments).sort((a, b) => a - b);
  const subsetSize = Math.max(1, Math.round(settings.ldsFraction * pool.length));
  const jobs: { name: string; docs: number[] }[] = [];
  chosen.forEach((q, i) => {
    jobs.push({ name: `topk-${i}`, docs: extremes(row(scores, q), k, true) });
    jobs.push({ name: `random-${i}`, docs: sample(new Rng(settings.seed, `random/${i}`), nd, k) });
    jobs.push({ name: `bottomk-${i}`, docs: extremes(row(scores, q), k, false) });
    jobs.push({ name: `identity-${i}`, docs: extremes(row(identity, q), k, true) });
    jobs.push({ name: `lexical-${i}`, docs: extremes(row(lexical, q), k, true) });
  });
  for (let s = 0; s < settings.ldsSubsets; s++) {
    const picked = sample(new Rng(settings.seed, `lds/subset/${s}`), pool.length, subsetSize);
    jobs.push({ name: `lds-${s}`, docs: picked.map((i) => pool[i]).sort((a, b) => a - b) });
  }

  const model = await readInfluenceModel(ctx.inputs.model.dir, influence);
  // One file, or per module (a streamed fit): every layer's factors and raw rows are held here.
  const factors = await readAllFactors(ctx.inputs.factors.dir, model.layers);
  const rawSource = await readQueryRows(qdir, "raw.", model.layers);
  const raw = typeof rawSource === "function" ? await rawSource(model.layers.map((l) => l.name)) : rawSource;
  const damping = resolveDamping(influence.strategy, influence.damping, factors);
  const fit = sample(
    new Rng(settings.seed, "fit"),
    nd,
    settings.protocol === "pbrf" ? settings.fitSequences : 0,
  );
  const { ldsScores, runs } = await withPipeline(model, influence, async (pipeline) => {
    // The sampled queries' raw gradients, preconditioned with every strategy, against the pool.
    const v = new Map(model.layers.map((l) => {
      const all = raw.get(l.name)!, size = l.outDim * l.inDim;
      const data = new Float32Array(n * size);
      chosen.forEach((q, i) => data.set(all.subarray(q * size, (q + 1) * size), i * size));
      return [l.name, data];
    }));
    const bar = ctx.progress("LDS pool scores", pool.length);
    const ldsScores = await strategyScores(pipeline, v, n, factors, pool.map(doc), (c) => bar.tick(c));
    bar.done();
    pipeline.destroy();
    const backend = await GpuBackend.create(
      pipeline.gpu,
      model.config,
      model.params,
      model.layers.map((l) => l.name),
      fit.map(doc),
    );
    try {
      return { ldsScores, runs: await runFineTunes(ctx, backend, settings, damping, jobs, doc, queries) };
    } finally {
      backend.destroy();
    }
  });
  const { changes, curvature, maxResidual } = runs;

  // Summaries.
  const scale = settings.protocol === "gradient" ? settings.lr * settings.steps : settings.epsilon;
  const bootstrap = { ...ctx.manifest.analyses.bootstrap, seed: settings.seed };
  const interval = (values: number[]): ChangeInterval => {
    const { mean, low, high, n } = bootstrapMean(values, bootstrap);
    return { mean, low, high, n };
  };
  const randomMean = (i: number) => chosen.reduce((s, _, j) => s + changes.get(`random-${j}`)![i], 0) / n;
  const perArm = (arm: CounterfactualArm, i: number) =>
    arm === "random" ? randomMean(i) : changes.get(`${arm}-${i}`)![i];
  const armsOver = (members: number[]) =>
    Object.fromEntries(
      COUNTERFACTUAL_ARMS.map((arm) => [arm, interval(members.map((i) => perArm(arm, i)))]),
    ) as Record<
      CounterfactualArm,
      ChangeInterval
    >;
  const all = chosen.map((_, i) => i);
  const jobDocs = new Map(jobs.map((j) => [j.name, j.docs]));
  const points = chosen.flatMap((q, i) =>
    COUNTERFACTUAL_ARMS.map((arm) => {
      const docs = jobDocs.get(`${arm}-${i}`)!;
      const sum = (m: Float32Array) => docs.reduce((s, d) => s + m[q * nd + d], 0);
      return {
        query: ids[i],
        set: sets[i],
        arm,
        measured: changes.get(`${arm}-${i}`)![i],
        predicted: scale * sum(scores),
        identity: scale * sum(identity),
      };
    })
  );
  const poolIndex = new Map(pool.map((d, i) => [d, i]));
  const ldsPoints = Array.from({ length: settings.ldsSubsets }, (_, s) => {
    const docs = jobDocs.get(`lds-${s}`)!.map((d) => poolIndex.get(d)!);
    const predicted = Object.fromEntries(INFLUENCE_STRATEGIES.map((strategy) => {
      const m = ldsScores.get(strategy)!;
      return [strategy, all.map((i) => scale * docs.reduce((sum, d) => sum + m[i * pool.length + d], 0))];
    }));
    return { measured: changes.get(`lds-${s}`)!, predicted };
  });
  const lds = Object.fromEntries(INFLUENCE_STRATEGIES.map((strategy) => {
    const l = linearDatamodelingScore(
      all.map((i) => ldsPoints.map((p) => p.predicted[strategy]![i])),
      all.map((i) => ldsPoints.map((p) => p.measured[i])),
      bootstrap,
    );
    return [strategy, {
      mean: l.mean,
      low: l.low,
      high: l.high,
      n: l.n,
      subsets: l.subsets,
      perQuery: l.perQuery,
    }];
  }));
  const file: CounterfactualFile = {
    settings,
    k,
    queries: ids,
    sets,
    strategy: influence.strategy,
    arms: armsOver(all),
    bySet: Object.fromEntries(setsInOrder.map((set) => [set, armsOver(all.filter((i) => sets[i] === set))])),
    points,
    lds,
    ldsPoints,
    linearity: settings.protocol === "gradient" ? median(points.map((p) => p.measured / p.identity)) : null,
    pbrf: curvature === null ? null : { curvature, maxResidual },
    fineTunes: jobs.length,
  };
  return { file, resumed: runs.resumed };
}

/** A fine-tune's result kept in the work folder, or null when it is missing or not of the expected size. */
async function readSaved(
  path: string,
  n: number,
): Promise<z.output<ReturnType<typeof savedFineTune>> | null> {
  try {
    return savedFineTune(n).parse(JSON.parse(await Deno.readTextFile(path)));
  } catch {
    return null;
  }
}

/** Median of the finite values (NaN for none). */
function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}
