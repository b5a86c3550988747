/**
 * The influence pipeline over token-id rows: fit the curvature factors (by parts), precondition query
 * gradients, score documents (streamed in chunks, optionally per token), for one model on one device.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { acquireDevice } from "../../device.ts";
import { GpuLlama } from "../../llama/gpu_llama.ts";
import type { LlamaConfig } from "../../model/config.ts";
import type { LayerEigenbasis } from "../cpu/eigendecompose_covariances.ts";
import type { LayerCovariance } from "../cpu/fit_covariances.ts";
import type { PreconditionFactors } from "../cpu/precondition_factors.ts";
import {
  CovarianceAccumulator,
  type CovarianceSums,
  finishCovariances,
} from "../gpu/covariance_accumulator.ts";
import {
  finishLambda,
  LambdaAccumulator,
  lambdaSequencesPerPass,
  type LambdaSums,
} from "../gpu/lambda_accumulator.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { type FitPassResult, type PartAccumulator, runFitPass } from "./fit_pass.ts";
import { fitOrder, type FitPlan, planFit } from "./fit_plan.ts";
import {
  eigendecompose,
  type EigenSummary,
  fitFactorsExact,
  type FitSeconds,
  type FittedFactors,
  storeLambda,
} from "./fitted_factors.ts";
import { type InfluenceModel, influenceModel } from "./influence_model.ts";
import {
  type FactorSource,
  type FactorStore,
  groupLayers,
  loadFactors,
  loadGroup,
  type ModuleSource,
  type PlannedStage,
} from "./module_groups.ts";
import { type InfluencePipelineSettings, pipelineSettings } from "./pipeline_settings.ts";
import {
  type PreconditionedQueries,
  preconditionQueries,
  type QueryGradients,
  rawQueryGradients,
} from "./query_gradients.ts";
import {
  DocumentScoring,
  joinGroupChunks,
  type LayerScoreChunk,
  type ScoreChunk,
  type ScoringShape,
} from "./score_documents.ts";
import { type QueryMatrix, splitChunk, stackLoaded } from "./query_matrices.ts";
import { int32Rows, type QueryRow, type TokenRows } from "./token_rows.ts";
import { scoreTopTokens, type TopTokenScores } from "./top_token_scores.ts";

/** A whole fit's factors, the plan it followed, the labels each pass used and its seconds. */
export interface FitResult extends FittedFactors {
  /** The fit's batches and parts (`documents`: the fit documents in fit order). */
  plan: FitPlan;
  /** Labels per fit document (fit order) of pass 1 and pass 2 (−1 where none: last positions, exact fits). */
  labels: { pass1: Int32Array[]; pass2: Int32Array[] };
  /** Seconds of each phase. */
  seconds: FitSeconds;
}

/** What {@linkcode InfluencePipeline.fitFactorsToStore} returns: the factors themselves are in the store. */
export interface StoredFitResult {
  /** The fit's batches and parts. */
  plan: FitPlan;
  /** Labels per fit document (fit order) of pass 1 and pass 2. */
  labels: { pass1: Int32Array[]; pass2: Int32Array[] };
  /** Seconds of each phase. */
  seconds: FitSeconds;
  /** Each module's counts and eigendecomposition accuracy, in layer order. */
  layers: EigenSummary[];
}

/** One module group's query gradients and preconditioned rows ({@linkcode InfluencePipeline.preconditionGroups}). */
export interface QueryGroup {
  /** The group's tracked layers. */
  layers: TrackedLayer[];
  /** V of the group's layers, F32 [Q, out, in]. */
  v: Map<string, Float32Array>;
  /** P of the group's layers, F32 [Q, out, in]. */
  p: Map<string, Float32Array>;
  /** λ of the group's layers (empty for the identity strategy). */
  damping: Map<string, number>;
  /** −f per query (the same for every group). */
  nats: number[];
}

/** One chunk of {@linkcode InfluencePipeline.scoreDocuments}. */
export interface ScoredChunk {
  /** Chunk index: documents [index · chunkDocuments, … + count). */
  index: number;
  /** First document. */
  start: number;
  /** Documents in the chunk. */
  count: number;
  /** Its scores. */
  chunk: ScoreChunk;
  /** Whether it came from `resume` rather than the device. */
  resumed: boolean;
}

/** One chunk of {@linkcode InfluencePipeline.scoreMatrices}: one {@linkcode ScoreChunk} per matrix. */
export interface ScoredMatrixChunk {
  /** Chunk index: documents [index · chunkDocuments, … + count). */
  index: number;
  /** First document. */
  start: number;
  /** Documents in the chunk. */
  count: number;
  /** Each matrix's scores of the chunk, in the matrices' order (`norms` is the same in each). */
  chunks: ScoreChunk[];
  /** Whether it came from `resume` rather than the device. */
  resumed: boolean;
}

/** Options of {@linkcode InfluencePipeline.scoreMatrices}. */
export interface ScoreMatricesOptions {
  /** Chunks [first, last) to score (default: all). */
  chunks?: readonly [number, number];
  /** A chunk already scored (each matrix's, e.g. saved by a killed run), or null to score it. */
  resume?: (index: number, start: number, count: number) => Promise<ScoreChunk[] | null>;
  /** Called with the number of documents after each product (and each resumed chunk). */
  onDocuments?: (documents: number) => void;
}

/** Options of {@linkcode InfluencePipeline.scoreDocuments}. */
export interface ScoreDocumentsOptions {
  /** Chunks [first, last) to score (default: all). */
  chunks?: readonly [number, number];
  /** A chunk already scored (e.g. saved by a killed run), or null to score it. */
  resume?: (index: number, start: number, count: number) => Promise<ScoreChunk | null>;
  /** Keep per-layer scores for the first this many query rows only (default: every row). */
  perLayerRows?: number;
  /** Called with the number of documents after each product (and each resumed chunk). */
  onDocuments?: (documents: number) => void;
}

/**
 * EK-FAC influence (or K-FAC, diagonal, identity) of token-id rows on token-id queries, for one model
 * on one device. Every reduction is fixed-order: the same rows, settings and adapter give the same bits,
 * and a fit or a scoring run split into parts or chunks equals an unsplit one.
 *
 * With `moduleGroups` a stage holds the tracked modules on the device one group at a time, with one pass
 * over its documents or queries per group (docs/streaming.md): the covariances, Λ, query gradients,
 * preconditioned rows and scores equal the all-resident ones bit for bit; the GPU Jacobi
 * eigendecomposition of a group converges to its tolerance on its own, so its eigenbases differ from the
 * all-resident ones within that tolerance (the float64 CPU solver's do not differ).
 *
 * @example
 * ```ts ignore
 * const pipeline = await InfluencePipeline.create({ config, params }, { strategy: "ekfac", seed: 1 });
 * const factors = await pipeline.fitFactors(documents);
 * const { p } = await pipeline.preconditionQueries(queries, factors);
 * for await (const { start, chunk } of pipeline.scoreDocuments(p, queries.length, documents)) {
 *   console.log(start, chunk.scores);
 * }
 * await pipeline.close();
 * ```
 */
export class InfluencePipeline {
  /**
   * The device.
   *
   * @ignore
   */
  readonly gpu: Gpu;
  /** The model and its tracked layers. */
  readonly model: InfluenceModel;
  /** The complete settings. */
  readonly settings: InfluencePipelineSettings;
  #llama: GpuLlama | undefined;
  #ownsDevice = false;

  /**
   * A pipeline on a device of its own (the first WebGPU adapter's); {@linkcode InfluencePipeline.close}
   * releases both.
   *
   * @param model Configuration and f32 weights by HF name.
   * @param settings Settings over the defaults ({@linkcode pipelineSettings}).
   * @returns The pipeline.
   * @throws {RangeError} When a setting is out of range or a tracked weight's shape is unknown.
   * @throws {Error} When no WebGPU adapter is available.
   */
  static async create(
    model: { config: LlamaConfig; params: ReadonlyMap<string, Float32Array> },
    settings: Partial<InfluencePipelineSettings> = {},
  ): Promise<InfluencePipeline> {
    const gpu = await acquireDevice();
    try {
      const pipeline = new InfluencePipeline(gpu, model, settings);
      pipeline.#ownsDevice = true;
      return pipeline;
    } catch (error) {
      await gpu.destroy();
      throw error;
    }
  }

  /**
   * Prepares the pipeline on a given device; the model is uploaded at its first use.
   *
   * @ignore
   * @param gpu The device.
   * @param model Configuration and f32 weights by HF name.
   * @param settings Settings over the defaults ({@linkcode pipelineSettings}).
   * @throws {RangeError} When a setting is out of range or a tracked weight's shape is unknown.
   */
  constructor(
    gpu: Gpu,
    model: { config: LlamaConfig; params: ReadonlyMap<string, Float32Array> },
    settings: Partial<InfluencePipelineSettings> = {},
  ) {
    this.gpu = gpu;
    this.settings = pipelineSettings(settings);
    this.model = influenceModel(model.config, model.params, this.settings.trackedModules);
  }

  /** The tracked layers, in forward order. */
  get layers(): readonly TrackedLayer[] {
    return this.model.layers;
  }

  /**
   * The module groups a stage holds one at a time (from `moduleGroups`): one group of every tracked
   * layer when the stage keeps them resident. A streamed stage makes one pass over its documents (or
   * queries) per group.
   *
   * @param stage The stage.
   * @returns The groups, in forward order.
   */
  groups(stage: PlannedStage): TrackedLayer[][] {
    return groupLayers(this.layers, this.settings.moduleGroups?.[stage]);
  }

  /** Forward/backward batch and product widths of the scoring. */
  get scoringShape(): ScoringShape {
    const { scoreBatchDocuments: batchDocuments, scoreProductDocuments: productDocuments } = this.settings;
    return { batchDocuments, productDocuments };
  }

  /**
   * The model on the device.
   *
   * @ignore
   */
  get llama(): GpuLlama {
    this.#llama ??= new GpuLlama(this.gpu, this.model.config, this.model.params);
    return this.#llama;
  }

  /**
   * The fit's plan: the fit documents by length, then index, in batches and parts of
   * `fitPartDocuments`.
   *
   * @param documents Every document's ids.
   * @param fitDocuments The documents to fit on (default: all).
   * @returns The plan.
   */
  planFit(documents: TokenRows, fitDocuments?: readonly number[]): FitPlan {
    const all = fitDocuments ?? documents.map((_, i) => i);
    return planFit(documents, fitOrder(documents, all), this.settings.fitPartDocuments);
  }

  /**
   * Pass 1 over parts [first, last) of a plan: Σ a aᵀ and Σ g gᵀ per layer and part (labels: Philox
   * draw 0 with the seed, or the next tokens for `empirical`), read back as raw f32 sums. With module
   * groups, one pass per group of `fit covariances` (the same labels in each), the parts' sums joined.
   *
   * @param documents Every document's ids.
   * @param plan The plan.
   * @param range Parts [first, last) (default: all).
   * @param onDocuments Called with the number of documents after each batch (of every group's pass).
   * @returns Each part's sums and the labels used.
   * @throws {RangeError} For `exact` labels (use {@linkcode InfluencePipeline.fitFactors}).
   */
  async fitCovarianceParts(
    documents: TokenRows,
    plan: FitPlan,
    range: readonly [number, number] = [0, plan.parts.length],
    onDocuments?: (documents: number) => void,
  ): Promise<FitPassResult<CovarianceSums>> {
    const passes: FitPassResult<CovarianceSums>[] = [];
    for (const group of this.groups("fit covariances")) {
      const pass1 = new CovarianceAccumulator(this.gpu, group, { blocks: this.settings.blocks });
      try {
        passes.push(await this.#pass(documents, plan, range, 0, pass1, group, onDocuments));
      } finally {
        pass1.destroy();
      }
    }
    return joinPasses(passes, (parts) => ({ ...parts[0], sums: new Map(parts.flatMap((p) => [...p.sums])) }));
  }

  /**
   * A and S from every part's sums (float64, in part order), and their eigendecomposition with the
   * settings' solver (one `eigendecomposition` group at a time).
   *
   * @param parts Every part's pass-1 sums, in part order.
   * @returns Covariances and eigenbases per layer.
   */
  async eigenbases(
    parts: readonly CovarianceSums[],
  ): Promise<{ covariances: Map<string, LayerCovariance>; eigen: Map<string, LayerEigenbasis> }> {
    const covariances = finishCovariances(this.layers, parts);
    const groups = this.groups("eigendecomposition");
    if (groups.length === 1) {
      return { covariances, eigen: await eigendecompose(this.gpu, covariances, this.settings.eigensolver) };
    }
    const eigen = new Map<string, LayerEigenbasis>();
    for (const group of groups) {
      const part = new Map(group.map(({ name }) => [name, covariances.get(name)!]));
      for (const [name, basis] of await eigendecompose(this.gpu, part, this.settings.eigensolver)) {
        eigen.set(name, basis);
      }
    }
    return { covariances, eigen };
  }

  /**
   * {@linkcode InfluencePipeline.eigenbases} into a store: one `eigendecomposition` group at a time (one
   * module at a time with the CPU solver, which holds nothing on the device), A and S are finished for the
   * group's modules only, eigendecomposed, and each module's covariance and eigenbasis written to the store
   * before the next group (host memory: one group's factors).
   *
   * @param parts Every part's pass-1 sums, in part order.
   * @param store Where each module's factors go.
   * @returns Each module's counts and solver accuracy, in layer order.
   */
  async writeEigenbases(parts: readonly CovarianceSums[], store: FactorStore): Promise<EigenSummary[]> {
    const summaries: EigenSummary[] = [];
    const groups = this.settings.eigensolver === "cpu-f64"
      ? groupLayers(this.layers, 1)
      : this.groups("eigendecomposition");
    for (const group of groups) {
      const covariances = finishCovariances(group, parts);
      const eigen = await eigendecompose(this.gpu, covariances, this.settings.eigensolver);
      for (const [name, covariance] of covariances) {
        const basis = eigen.get(name)!;
        await store.write(name, { covariance, eigen: basis });
        const { outDim, inDim, tokens, sequences, accuracy } = basis;
        summaries.push({ name, outDim, inDim, tokens, sequences, accuracy });
      }
    }
    return summaries;
  }

  /**
   * Pass 2 over parts [first, last): Λ (and D) sums in the eigenbases, per part, with fresh labels
   * (Philox draw 1; the next tokens for `empirical`). With module groups, one pass per group of `Λ fit`,
   * each reading its group's eigenbases when it starts (e.g. from a {@linkcode FactorStore}).
   *
   * @param documents Every document's ids.
   * @param plan The plan.
   * @param eigen The eigenbases: resident, or loaded by group.
   * @param range Parts [first, last) (default: all).
   * @param onDocuments Called with the number of documents after each batch (of every group's pass).
   * @returns Each part's sums and the labels used; `finishLambda` turns all parts into Λ.
   */
  async fitLambdaParts(
    documents: TokenRows,
    plan: FitPlan,
    eigen: ModuleSource<LayerEigenbasis>,
    range: readonly [number, number] = [0, plan.parts.length],
    onDocuments?: (documents: number) => void,
  ): Promise<FitPassResult<LambdaSums>> {
    // Each pass's squares are summed before they join Λ: every group takes all layers' pass width.
    const sequencesPerPass = lambdaSequencesPerPass(this.layers);
    const passes: FitPassResult<LambdaSums>[] = [];
    for (const group of this.groups("Λ fit")) {
      const bases = await loadGroup("fitLambdaParts()", eigen, group.map((l) => l.name));
      const pass2 = new LambdaAccumulator(this.gpu, group, { bases, sequencesPerPass });
      try {
        passes.push(await this.#pass(documents, plan, range, 1, pass2, group, onDocuments));
      } finally {
        pass2.destroy();
      }
    }
    return joinPasses(passes, (parts) => ({ ...parts[0], sums: new Map(parts.flatMap((p) => [...p.sums])) }));
  }

  /**
   * The whole fit in one call: pass 1, A and S, eigenbases, pass 2, Λ. With `exact` labels the float64
   * reference fits instead (micro models only: one backward pass per position and vocabulary entry).
   *
   * @param documents Every document's ids.
   * @param fitDocuments The documents to fit on (default: all).
   * @param onDocuments Called with the number of documents after each batch of either pass.
   * @returns Factors, plan, labels and seconds.
   */
  async fitFactors(
    documents: TokenRows,
    fitDocuments?: readonly number[],
    onDocuments?: (documents: number) => void,
  ): Promise<FitResult> {
    const plan = this.planFit(documents, fitDocuments);
    if (this.settings.labels === "exact") {
      const rows = this.#rows("fitFactors()", documents);
      const sequences = plan.documents.map((d) => rows[d]);
      const exact = fitFactorsExact(this.model, this.layers, sequences, this.settings.blocks);
      const none = sequences.map((s) => new Int32Array(s.length).fill(-1));
      return { ...exact, plan, labels: { pass1: none, pass2: none } };
    }
    let t0 = performance.now();
    const pass1 = await this.fitCovarianceParts(documents, plan, undefined, onDocuments);
    const seconds = { pass1: (performance.now() - t0) / 1000, eigen: 0, pass2: 0 };
    t0 = performance.now();
    const { covariances, eigen } = await this.eigenbases(pass1.sums);
    seconds.eigen = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const pass2 = await this.fitLambdaParts(documents, plan, eigen, undefined, onDocuments);
    const lambda = finishLambda(this.layers, pass2.sums);
    seconds.pass2 = (performance.now() - t0) / 1000;
    return {
      covariances,
      eigen,
      lambda,
      plan,
      labels: { pass1: pass1.labels, pass2: pass2.labels },
      seconds,
    };
  }

  /**
   * The whole fit into a store, for models whose factors do not fit in host memory at once: pass 1 (by
   * `fit covariances` groups), then per `eigendecomposition` group A, S and their eigenbases written to
   * the store, pass 2 (by `Λ fit` groups, each reading its eigenbases from the store), then Λ and D added
   * to each module's stored factors. Sampled or empirical labels only.
   *
   * @param documents Every document's ids.
   * @param store Where each module's factors go (complete once this resolves).
   * @param fitDocuments The documents to fit on (default: all).
   * @param onDocuments Called with the number of documents after each batch of either pass.
   * @returns Plan, labels, seconds and each module's counts and solver accuracy.
   * @throws {RangeError} For `exact` labels.
   */
  async fitFactorsToStore(
    documents: TokenRows,
    store: FactorStore,
    fitDocuments?: readonly number[],
    onDocuments?: (documents: number) => void,
  ): Promise<StoredFitResult> {
    const plan = this.planFit(documents, fitDocuments);
    let t0 = performance.now();
    const pass1 = await this.fitCovarianceParts(documents, plan, undefined, onDocuments);
    const seconds = { pass1: (performance.now() - t0) / 1000, eigen: 0, pass2: 0 };
    t0 = performance.now();
    const layers = await this.writeEigenbases(pass1.sums, store);
    pass1.sums.length = 0;
    seconds.eigen = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const eigen = async (names: readonly string[]) =>
      new Map([...await store.read(names)].map(([name, m]) => [name, m.eigen]));
    const pass2 = await this.fitLambdaParts(documents, plan, eigen, undefined, onDocuments);
    await storeLambda(store, this.groups("Λ fit"), pass2.sums);
    seconds.pass2 = (performance.now() - t0) / 1000;
    return { plan, labels: { pass1: pass1.labels, pass2: pass2.labels }, seconds, layers };
  }

  /**
   * Raw query gradients V = ∇_W(−f), f = log p(completion | prompt) (prompt positions masked).
   *
   * @param queries Prompt and completion ids per query.
   * @param onQueries Called with the number of queries after each batch.
   * @param layers The tracked layers whose V is formed (default: all of them).
   * @returns V per layer (F32 [Q, out, in]) and −f per query (nats).
   */
  async queryGradients(
    queries: readonly QueryRow[],
    onQueries?: (queries: number) => void,
    layers: readonly TrackedLayer[] = this.layers,
  ): Promise<QueryGradients> {
    const vocab = this.model.config.vocabSize;
    const prompts = int32Rows("queryGradients(): prompts", queries.map((q) => q.prompt), vocab);
    const completions = int32Rows("queryGradients(): completions", queries.map((q) => q.completion), vocab);
    const empty = prompts.findIndex((p) => p.length === 0);
    if (empty >= 0) throw new RangeError(`queryGradients(): query ${empty} has an empty prompt`);
    return await rawQueryGradients(this.gpu, this.llama, layers, prompts, completions, onQueries);
  }

  /**
   * P = (G + λI)⁻¹ V with the settings' strategy and damping, truncated to `queryRank` when set; one
   * `query gradients` group at a time on the device.
   *
   * @param v Raw gradients per layer, F32 [Q, out, in].
   * @param queries Q.
   * @param factors Fitted eigenbases and Λ (`{}` for the identity strategy): resident, or loaded by group.
   * @param strategy The preconditioner (default: the settings'), e.g. to score several strategies' rows
   *   in one document pass ({@linkcode InfluencePipeline.scoreMatrices}); damping is resolved for it.
   * @returns P per layer and λ per layer.
   */
  async precondition(
    v: ReadonlyMap<string, Float32Array>,
    queries: number,
    factors: FactorSource,
    strategy: InfluencePipelineSettings["strategy"] = this.settings.strategy,
  ): Promise<PreconditionedQueries> {
    const groups = this.groups("query gradients");
    const out: PreconditionedQueries = { p: new Map(), damping: new Map() };
    for (const group of groups) {
      const names = group.map((l) => l.name);
      const loaded = await loadFactors(factors, names);
      const { p, damping } = await preconditionQueries(
        this.gpu,
        group,
        v,
        queries,
        groups.length === 1 ? loaded : restrictFactors(loaded, names),
        { ...this.settings, strategy },
      );
      for (const [name, rows] of p) out.p.set(name, rows);
      for (const [name, lambda] of damping) out.damping.set(name, lambda);
    }
    return out;
  }

  /**
   * Query gradients and their preconditioning one `query gradients` group at a time: per group, the
   * queries' forward and backward passes record the group's layers, its factors are read (e.g. from
   * files written per module) and its V and P are yielded, to be written before the next group (host
   * memory: one group's rows).
   *
   * @param queries Prompt and completion ids per query.
   * @param factors Fitted eigenbases and Λ (`{}` for the identity strategy): resident, or loaded by group.
   * @param onQueries Called with the number of queries after each batch (of every group's pass).
   * @yields Each group's layers, V, P, λ and the queries' −f.
   */
  async *preconditionGroups(
    queries: readonly QueryRow[],
    factors: FactorSource,
    onQueries?: (queries: number) => void,
  ): AsyncGenerator<QueryGroup> {
    const groups = this.groups("query gradients");
    for (const layers of groups) {
      const names = layers.map((l) => l.name);
      const { v, nats } = await this.queryGradients(queries, onQueries, layers);
      const loaded = await loadFactors(factors, names);
      const { p, damping } = await preconditionQueries(
        this.gpu,
        layers,
        v,
        queries.length,
        groups.length === 1 ? loaded : restrictFactors(loaded, names),
        this.settings,
      );
      yield { layers, v, p, damping, nats };
    }
  }

  /**
   * Query gradients and their preconditioning in one call (by `query gradients` groups).
   *
   * @param queries Prompt and completion ids per query.
   * @param factors Fitted eigenbases and Λ (`{}` for the identity strategy): resident, or loaded by group.
   * @returns P and λ per layer, and −f per query.
   */
  async preconditionQueries(
    queries: readonly QueryRow[],
    factors: FactorSource,
  ): Promise<PreconditionedQueries & { nats: number[] }> {
    const out = {
      p: new Map<string, Float32Array>(),
      damping: new Map<string, number>(),
      nats: [] as number[],
    };
    for await (const group of this.preconditionGroups(queries, factors)) {
      for (const [name, rows] of group.p) out.p.set(name, rows);
      for (const [name, lambda] of group.damping) out.damping.set(name, lambda);
      out.nats = group.nats;
    }
    return out;
  }

  /**
   * Query rows on the device, ready to score documents (see {@linkcode DocumentScoring}).
   *
   * @ignore
   * @param p Query rows per tracked layer, F32 [rows, out, in].
   * @param rows Number of rows.
   * @returns The scoring state; destroy it after use.
   */
  scoring(p: ReadonlyMap<string, Float32Array>, rows: number): DocumentScoring {
    return new DocumentScoring(this.gpu, this.llama, this.layers, p, rows, this.scoringShape);
  }

  /**
   * Scores documents against query rows, streamed in chunks of `scoreChunkDocuments`: each document's
   * loss is its summed next-token cross-entropy, its gradient formed once and dotted with every row.
   * A chunk's scores do not depend on the other chunks, so chunks may be saved, resumed and sharded.
   * With `scoring` module groups, each chunk is scored once per group (its rows loaded for the group)
   * and the groups' terms joined as one scorer of every layer sums them ({@linkcode joinGroupChunks}).
   *
   * @param p Query rows per tracked layer, F32 [rows, out, in] (preconditioned, or raw for the identity):
   *   resident, or loaded by group.
   * @param rows Number of rows.
   * @param documents Every document's ids.
   * @param options Chunk range, resumption, per-layer rows and progress.
   * @yields Each chunk in order.
   */
  async *scoreDocuments(
    p: ModuleSource<Float32Array>,
    rows: number,
    documents: TokenRows,
    options: ScoreDocumentsOptions = {},
  ): AsyncGenerator<ScoredChunk> {
    const load = async (layers: readonly TrackedLayer[]) =>
      await loadGroup("scoreDocuments(): p", p, layers.map((l) => l.name));
    const scored = this.#scoreChunks(
      load,
      rows,
      documents,
      options.chunks,
      options.resume,
      options.onDocuments,
    );
    for await (const { index, start, count, computed, saved } of scored) {
      if (saved !== null) {
        yield { index, start, count, chunk: saved, resumed: true };
        continue;
      }
      const chunk = computed!;
      if (options.perLayerRows !== undefined) {
        const keep = options.perLayerRows * count;
        chunk.perLayer = chunk.perLayer.map((l) => l.slice(0, keep));
      }
      yield { index, start, count, chunk, resumed: false };
    }
  }

  /**
   * Scores documents against several matrices of query rows in one pass over the documents (e.g. the
   * EK-FAC rows and the raw gradients of the identity control, or one matrix per strategy): the rows are
   * stacked, so each document's gradient is formed once and multiplied with every matrix's rows in the
   * same products, then the scores are split by matrix. Each output element sums the same terms in the
   * same order as {@linkcode InfluencePipeline.scoreDocuments} of that matrix alone, so the two agree bit
   * for bit whenever both products take the same kernel (`DocumentScorerOptions.queryProduct`; on
   * software adapters: the GEMM, for 4 rows or more). Chunks as in
   * {@linkcode InfluencePipeline.scoreDocuments}.
   *
   * @param matrices The query matrices, each with its rows per tracked layer.
   * @param documents Every document's ids.
   * @param options Chunk range, resumption and progress.
   * @yields Each chunk in order, with one {@linkcode ScoreChunk} per matrix.
   * @throws {RangeError} When there is no matrix or a matrix lacks a tracked layer or is misshapen.
   */
  async *scoreMatrices(
    matrices: readonly QueryMatrix[],
    documents: TokenRows,
    options: ScoreMatricesOptions = {},
  ): AsyncGenerator<ScoredMatrixChunk> {
    const op = "InfluencePipeline.scoreMatrices()";
    if (matrices.length === 0) throw new RangeError(`${op}: expected at least one query matrix, found none`);
    const rows = matrices.reduce((n, m) => n + m.rows, 0);
    const load = async (layers: readonly TrackedLayer[]) => (await stackLoaded(op, layers, matrices)).p;
    const scored = this.#scoreChunks(
      load,
      rows,
      documents,
      options.chunks,
      options.resume,
      options.onDocuments,
    );
    for await (const { index, start, count, computed, saved } of scored) {
      const chunks = saved ?? splitChunk(computed!, matrices, count);
      yield { index, start, count, chunks, resumed: saved !== null };
    }
  }

  /**
   * Per-token scores of each query row's `k` top documents (ties: lower index first). With `scoring`
   * module groups, each group's layers are added to the running per-token sums of the groups before it,
   * in layer order, as one scorer of every layer adds them.
   *
   * @param p Query rows per tracked layer, F32 [rows, out, in]: resident, or loaded by group.
   * @param rows Number of rows uploaded.
   * @param documents Every document's ids.
   * @param scores Raw scores [queries, documents] row-major (the rows ranked: the first `queries`).
   * @param queries Rows ranked.
   * @param k Top documents per row (default: `perTokenTopDocuments`).
   * @returns Pairs by query then rank, with their per-token values.
   */
  async topTokenScores(
    p: ModuleSource<Float32Array>,
    rows: number,
    documents: TokenRows,
    scores: Float64Array,
    queries: number,
    k: number = this.settings.perTokenTopDocuments,
  ): Promise<TopTokenScores> {
    const ids = this.#rows("topTokenScores()", documents);
    const groups = this.groups("scoring");
    // Each group's call visits the same batches in the same order: batch i continues from running[i].
    const running: Float64Array[][] = [];
    let result: TopTokenScores | undefined;
    for (const [g, group] of groups.entries()) {
      const rowsOf = await loadGroup("topTokenScores(): p", p, group.map((l) => l.name));
      const scoring = new DocumentScoring(this.gpu, this.llama, group, rowsOf, rows, this.scoringShape);
      let batch = 0;
      try {
        result = await scoreTopTokens(
          scores,
          queries,
          ids.length,
          k,
          async (docs, pairs) => {
            const values = await scoring.tokenScores(ids, docs, pairs, g === 0 ? undefined : running[batch]);
            running[batch++] = values;
            return values;
          },
          this.scoringShape.batchDocuments,
          (d) => ids[d].length,
        );
      } finally {
        scoring.destroy();
      }
    }
    return result!;
  }

  /** Releases the model's device memory (not the device). */
  destroy(): void {
    this.#llama?.destroy();
    this.#llama = undefined;
  }

  /** Releases the model's device memory, and the device when {@linkcode InfluencePipeline.create} made it. */
  async close(): Promise<void> {
    this.destroy();
    if (this.#ownsDevice) await this.gpu.destroy();
  }

  /**
   * Chunks [first, last) of documents against the rows `load` gives per group: each taken from `resume`
   * or scored (with one group, by one scorer for all chunks; with several, by one scorer per chunk and
   * group, the groups joined).
   */
  async *#scoreChunks<T>(
    load: (layers: readonly TrackedLayer[]) => Promise<ReadonlyMap<string, Float32Array>>,
    rows: number,
    documents: TokenRows,
    range: readonly [number, number] | undefined,
    resume: ((index: number, start: number, count: number) => Promise<T | null>) | undefined,
    onDocuments: ((documents: number) => void) | undefined,
  ): AsyncGenerator<
    { index: number; start: number; count: number; computed: ScoreChunk | null; saved: T | null }
  > {
    const ids = this.#rows("scoreDocuments()", documents);
    const size = this.settings.scoreChunkDocuments, nd = ids.length;
    const [first, last] = range ?? [0, Math.ceil(nd / size)];
    const tick = onDocuments ?? (() => {});
    const groups = this.groups("scoring");
    // One group: its rows are uploaded once for every chunk.
    const scoring = groups.length === 1 ? this.scoring(await load(this.layers), rows) : null;
    const scoreGroups = async (start: number, count: number) => {
      const parts: LayerScoreChunk[] = [];
      for (const group of groups) {
        const part = new DocumentScoring(
          this.gpu,
          this.llama,
          group,
          await load(group),
          rows,
          this.scoringShape,
        );
        try {
          parts.push(await part.scoreRangeByLayer(ids, start, count, tick));
        } finally {
          part.destroy();
        }
      }
      return joinGroupChunks(parts, rows, count);
    };
    try {
      for (let c = first; c < last; c++) {
        const start = c * size, count = Math.min(size, nd - start);
        const saved = resume ? await resume(c, start, count) : null;
        if (saved !== null) {
          tick(count * groups.length);
          yield { index: c, start, count, computed: null, saved };
          continue;
        }
        const computed = scoring === null
          ? await scoreGroups(start, count)
          : await scoring.scoreRange(ids, start, count, tick);
        yield { index: c, start, count, computed, saved: null };
      }
    } finally {
      scoring?.destroy();
    }
  }

  #rows(op: string, documents: TokenRows): Int32Array[] {
    return int32Rows(`InfluencePipeline.${op}: documents`, documents, this.model.config.vocabSize);
  }

  async #pass<S>(
    documents: TokenRows,
    plan: FitPlan,
    range: readonly [number, number],
    draw: number,
    accumulator: PartAccumulator<S>,
    layers: readonly TrackedLayer[],
    onDocuments?: (documents: number) => void,
  ): Promise<FitPassResult<S>> {
    const { labels, seed } = this.settings;
    if (labels === "exact") {
      throw new RangeError(
        'InfluencePipeline: labels "exact" are fitted by fitFactors() on the CPU reference',
      );
    }
    const rows = this.#rows("fit", documents);
    const sample = labels === "sampled" ? { seed, draw } : null;
    const names = layers.map((l) => l.name);
    return await runFitPass(this.gpu, this.llama, names, rows, plan, range, sample, accumulator, onDocuments);
  }
}

/**
 * The passes of several module groups over the same parts joined: each part's sums of every group (in
 * group order), and the labels, which every group drew alike (checked).
 */
function joinPasses<S>(passes: readonly FitPassResult<S>[], join: (parts: S[]) => S): FitPassResult<S> {
  if (passes.length === 1) return passes[0];
  const [first, ...rest] = passes;
  for (const pass of rest) {
    const same = pass.labels.length === first.labels.length &&
      pass.labels.every((l, i) =>
        l.length === first.labels[i].length && l.every((v, j) => v === first.labels[i][j])
      );
    if (!same) throw new Error("InfluencePipeline: module groups drew different fit labels");
  }
  return { sums: first.sums.map((_, p) => join(passes.map((pass) => pass.sums[p]))), labels: first.labels };
}

/** The factors of some layers only (a group's share of resident factors). */
function restrictFactors(factors: PreconditionFactors, names: readonly string[]): PreconditionFactors {
  const pick = <T>(map: ReadonlyMap<string, T> | undefined) =>
    map && new Map(names.filter((n) => map.has(n)).map((n) => [n, map.get(n)!]));
  return { eigen: pick(factors.eigen), lambda: pick(factors.lambda) };
}
