/**
 * Device-memory plan of the influence stages for a Llama shape: per stage (fit covariances,
 * eigendecomposition, Λ fit, query gradients, scoring) the bytes of every buffer the engine allocates
 * (f32 on the device; counted from the allocations of `GpuLlama`, the accumulators, the preconditioner
 * and the scorer, not measured), whether the tracked modules fit on the device all at once or must be
 * streamed in groups (factors loaded one group at a time), and how many diagonal blocks the
 * eigendecomposition of the widest factor needs.
 *
 * The engine streams every stage ({@linkcode ENGINE_STREAMS_MODULES}): {@linkcode planSettings} turns a
 * plan into the pipeline settings that run it (`moduleGroups`: the modules each stage holds at once,
 * one pass over its documents or queries per group; the scoring's batch and product widths). What a
 * plan needs that the engine does not do (several passes of query rows, smaller query batches) is
 * listed in its `needs` (docs/streaming.md).
 *
 * @module
 */

import type { LlamaConfig } from "../model/config.ts";
import { BLOCK_LINEARS, type BlockLinear } from "../model/param_names.ts";
import { linearShape, paramCount } from "../model/params.ts";
import { MAX_WORKSPACES } from "../llama/gpu_llama.ts";
import { llamaDims } from "../llama/llama_dims.ts";
import { SEQ_LEN_MULTIPLE } from "./pipeline/device_batch.ts";
import { FIT_BATCH_DOCUMENTS } from "./pipeline/fit_plan.ts";
import { QUERY_BATCH } from "./pipeline/query_gradients.ts";
import { SCORE_BATCH_DOCUMENTS, SCORE_PRODUCT_DOCUMENTS } from "./pipeline/score_documents.ts";
import type { InfluenceStrategy } from "./settings.ts";
import { type ModuleGroups, PLANNED_STAGES, type PlannedStage } from "./pipeline/module_groups.ts";
import type { InfluencePipelineSettings } from "./pipeline/pipeline_settings.ts";

export { PLANNED_STAGES, type PlannedStage };

/**
 * Whether the engine can run a stage with the tracked modules streamed in groups (the pipeline's
 * `moduleGroups`): every stage. Fit covariances and Λ fit make one pass over the fit documents per
 * group, query gradients one over the queries, scoring one over each chunk's documents.
 */
export const ENGINE_STREAMS_MODULES: Readonly<Record<PlannedStage, boolean>> = {
  "fit covariances": true,
  "eigendecomposition": true,
  "Λ fit": true,
  "query gradients": true,
  "scoring": true,
};

/**
 * Default widest block an eigendecomposition takes (a choice, not a measurement): Jacobi work grows
 * as n³, and on a 2-core CPU the float64 solver took 299 s for n = 512 (8192 would take weeks).
 */
export const DEFAULT_MAX_EIGEN_WIDTH = 4096;

/** What to plan. */
export interface MemoryPlanInput {
  /** The model. */
  config: LlamaConfig;
  /** Tracked modules of every block. */
  trackedModules: readonly BlockLinear[];
  /** Preconditioner (identity: no fit; diagonal: no eigenbases). */
  strategy: InfluenceStrategy;
  /** Eigensolver: `gpu-jacobi` holds every block on the device, `cpu-f64` none. */
  eigensolver: "cpu-f64" | "gpu-jacobi";
  /** Diagonal blocks of A and S; absent: the fewest of 1, 2, 4 that keep blocks within the limits. */
  blocks?: 1 | 2 | 4;
  /** Longest fit document, tokens (padded up to the batch's multiple of 8). */
  fitTokens: number;
  /** Longest query row (prompt + completion), tokens. */
  queryTokens: number;
  /** Longest scored document, tokens. */
  scoreTokens: number;
  /** Query rows scored in one pass over the documents (every matrix stacked). */
  queries: number;
  /** Device memory the run may use, bytes. */
  budgetBytes: number;
  /** Largest buffer one binding may hold (`maxStorageBufferBindingSize`; default 2³¹ − 1). */
  bindingLimitBytes?: number;
  /** Widest eigendecomposition block (default {@linkcode DEFAULT_MAX_EIGEN_WIDTH}). */
  maxEigenWidth?: number;
  /** CPU rasteriser: logits are also copied into a texture for cross-entropy and sampling. */
  software?: boolean;
}

/** One allocation (or a group of equal ones) of a stage. */
export interface PlannedBuffer {
  /** What it holds. */
  what: string;
  /** Bytes, all of them together. */
  bytes: number;
  /** Bytes of the largest single buffer among them (what one binding must hold). */
  largest: number;
}

/** One stage's plan. */
export interface StagePlan {
  /** The stage. */
  stage: PlannedStage;
  /** Whether the stage runs for this strategy and eigensolver. */
  runs: boolean;
  /** Peak bytes with {@linkcode StagePlan.modulesAtOnce} modules resident (0 when it does not run). */
  peakBytes: number;
  /** Peak bytes with every tracked module resident (with the same query rows and product width). */
  residentBytes: number;
  /** Tracked modules held at once: all of them, or the largest group that fits the budget. */
  modulesAtOnce: number;
  /** Whether the modules must be streamed in groups (modulesAtOnce < modules). */
  streamed: boolean;
  /**
   * Groups of at most modulesAtOnce modules: the stage's passes over its documents (fit covariances, Λ
   * fit, each chunk of the scoring) or queries (query gradients); 1 when resident, 0 when not run.
   */
  groups: number;
  /**
   * Query rows held at once (query gradients, scoring): all of them, or fewer, in several passes, when
   * one module's [rows, out·in] would not fit one binding or the budget (0 for the fit stages).
   */
  queryRowsPerPass: number;
  /**
   * Documents per query product (scoring: {@linkcode SCORE_PRODUCT_DOCUMENTS}, or fewer when one module's
   * document gradients would exceed a binding; the pipeline's `scoreProductDocuments`).
   */
  productDocuments: number;
  /**
   * Sequences per forward/backward batch (query gradients, scoring; fewer than the engine's when their
   * logits would exceed a binding, the scoring's through the pipeline's `scoreBatchDocuments`; 0 for the
   * fit stages, whose batch is part of the fit settings).
   */
  batchSequences: number;
  /** What the plan needs that the engine does not do yet (empty: the engine runs it as planned). */
  needs: string[];
  /** The planned peak's buffers. */
  buffers: PlannedBuffer[];
}

/** The plan of one setup. */
export interface MemoryPlan {
  /** Tracked modules (layers × modules per block). */
  modules: number;
  /** Diagonal blocks of A and S. */
  blocks: 1 | 2 | 4;
  /** Widest factor (A or S) of any tracked module. */
  widestFactor: number;
  /** Widest eigendecomposition block (widestFactor / blocks; 0 without eigenbases). */
  eigenBlockWidth: number;
  /** Per stage, in run order. */
  stages: StagePlan[];
  /** Largest peak over the stages that run. */
  peakBytes: number;
  /** Largest single buffer of any stage that runs. */
  largestBuffer: { stage: PlannedStage; what: string; bytes: number };
  /** Bytes of the float64 factors file (A, S, Q_A, Q_S, eigenvalues, Λ, D of every module). */
  factorsFileBytes: number;
  /** Bytes of one query row's gradient over every tracked module, f32 (host and disk, per row). */
  queryRowBytes: number;
  /** Whether any stage streams modules (factors written per module and loaded one group at a time). */
  streamFactors: boolean;
  /** Every stage's needs, stage-prefixed (empty: the engine runs the whole plan today). */
  needs: string[];
}

/** A plan that cannot fit: one line naming the stage, what is too large and the limit. */
export class MemoryPlanError extends RangeError {
  /**
   * An error for a plan that cannot fit.
   *
   * @param message The line.
   */
  constructor(message: string) {
    super(message);
    this.name = "MemoryPlanError";
  }
}

const F32 = 4;
const GIB = 2 ** 30;

/**
 * Bytes in GiB with two decimals (`12.34 GiB`), or MiB below 1 GiB.
 *
 * @param bytes A byte count.
 * @returns The text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./memory_plan.ts";
 * assert.equal(formatBytes(80 * 2 ** 30), "80.00 GiB");
 * assert.equal(formatBytes(3 * 2 ** 20), "3.0 MiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A tracked module's shape. */
interface Module {
  out: number;
  in: number;
}

/** `count` equal buffers of `floats` f32 each. */
const f32s = (what: string, count: number, floats: number): PlannedBuffer => ({
  what,
  bytes: count * floats * F32,
  largest: count > 0 ? floats * F32 : 0,
});

/** Two buffers of `a` and `b` f32. */
const pair = (what: string, a: number, b: number): PlannedBuffer => ({
  what,
  bytes: (a + b) * F32,
  largest: Math.max(a, b) * F32,
});

/** Buffers of a stage for a given number of query rows and documents per product. */
interface StageShape {
  shared: PlannedBuffer[];
  perModule: (m: Module) => PlannedBuffer[];
}

/** A stage: whether it runs, its forward/backward batch (sequences, tokens) and its buffers. */
interface StageSpec {
  runs: boolean;
  /** Sequences per forward/backward batch the engine uses (absent: fixed by the fit settings). */
  batch?: number;
  /** Longest sequence of those batches. */
  batchTokens?: number;
  shape: (rows: number, docs: number, batch: number) => StageShape;
}

/**
 * Plans the influence stages' device memory for a model, its tracked modules and the run's sizes.
 *
 * Per stage the bytes are shared buffers (the model's weights, gradients and fused projections, the
 * activations of its forward/backward batches, work buffers) plus, per tracked module, its records and
 * factors. A stage whose buffers do not fit is planned, in this order, with fewer sequences per batch
 * (query gradients, scoring: while a batch's logits exceed a binding; a sequence's gradient does not
 * depend on its batch), fewer query rows per pass (while one module's [rows, out·in] exceeds a
 * binding), fewer documents per query product (scoring: while one module's [documents, out·in] exceeds
 * a binding), then the largest group of modules that fits the budget (`streamed`), then fewer
 * sequences per batch, documents per product and query rows per pass again until one module fits. The
 * eigendecomposition takes the fewest diagonal blocks (1, 2 or 4, unless `blocks` is given) that keep
 * every block within `maxEigenWidth` and, with `gpu-jacobi`, one block's f32 matrix within a binding.
 * {@linkcode planSettings} gives the pipeline settings that run the plan (module groups, scoring batch
 * and product widths); what the plan needs that the engine does not do (several passes of query rows,
 * query batches below the engine's) is listed in `needs`.
 *
 * @param input Model, tracked modules, settings, sizes and limits.
 * @returns The plan.
 * @throws {MemoryPlanError} One line, when a stage cannot fit even one module with one query row and
 * the fewest documents, a buffer the engine cannot split (the logits of a batch, a weight) exceeds a
 * binding, or no block count keeps the eigendecomposition within its limits.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "../model/config.ts";
 * import { planInfluenceMemory } from "./memory_plan.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 64, intermediate_size: 192, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100,
 * });
 * const plan = planInfluenceMemory({
 *   config, trackedModules: ["gate_proj", "up_proj", "down_proj"], strategy: "ekfac",
 *   eigensolver: "cpu-f64", fitTokens: 256, queryTokens: 64, scoreTokens: 256, queries: 40,
 *   budgetBytes: 2 ** 30,
 * });
 * assert.equal(plan.modules, 6);
 * assert.deepEqual(plan.needs, []);
 * ```
 */
export function planInfluenceMemory(input: MemoryPlanInput): MemoryPlan {
  const { config, strategy } = input;
  const binding = input.bindingLimitBytes ?? 2 ** 31 - 1;
  const maxEigenWidth = input.maxEigenWidth ?? DEFAULT_MAX_EIGEN_WIDTH;
  for (
    const [field, value] of [
      ["fitTokens", input.fitTokens],
      ["queryTokens", input.queryTokens],
      ["scoreTokens", input.scoreTokens],
      ["queries", input.queries],
      ["budgetBytes", input.budgetBytes],
      ["bindingLimitBytes", binding],
      ["maxEigenWidth", maxEigenWidth],
    ] as const
  ) {
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new MemoryPlanError(`planInfluenceMemory(): ${field} must be a positive integer, got ${value}`);
    }
  }
  const modules: Module[] = [];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const linear of BLOCK_LINEARS) {
      if (!input.trackedModules.includes(linear)) continue;
      const [out, inDim] = linearShape(config, linear);
      modules.push({ out, in: inDim });
    }
  }
  if (modules.length === 0) {
    throw new MemoryPlanError("planInfluenceMemory(): trackedModules must name at least one module");
  }
  const dims = llamaDims(config);
  const eigenbases = strategy === "kfac" || strategy === "ekfac";
  const widestFactor = Math.max(...modules.map((m) => Math.max(m.in, m.out)));
  const blocks = chooseBlocks(input, modules, eigenbases, widestFactor, maxEigenWidth, binding);

  // Shared by every stage with the model on the device: weights and gradients (GpuLlama allocates
  // both), the fused q|k|v and gate|up copies of every block.
  const { d, vocab, inter, qkv, qWidth, heads, layers } = dims;
  const weights = paramCount(config) * F32, largestWeight = Math.max(vocab, inter, qWidth) * d * F32;
  const model: PlannedBuffer[] = [
    { what: "weights (f32)", bytes: weights, largest: largestWeight },
    { what: "weight gradients (allocated with the weights)", bytes: weights, largest: largestWeight },
    f32s("fused q|k|v and gate|up copies", 2 * layers, Math.max(qkv, 2 * inter) * d),
  ];
  model[2].bytes = layers * (qkv + 2 * inter) * d * F32;
  /**
   * Activations and backward scratch of batches of `batch` sequences of at most `tokens` rows: the
   * model keeps {@linkcode MAX_WORKSPACES} of them, one per padded length, so batches of differing
   * lengths hold up to that many (counted at the longest).
   */
  const workspace = (what: string, batch: number, tokens: number): PlannedBuffer[] => {
    const tq = padded(tokens), n = batch * tq;
    const kept = Math.min(MAX_WORKSPACES, tq / SEQ_LEN_MULTIPLE);
    const perBlock = n * (3 * d + 2 + qkv + qWidth + 3 * inter) + batch * heads * tq;
    const logits = f32s(
      `${what}: logits and their gradient [${n}, ${vocab}] (×${kept})`,
      2 * kept,
      n * vocab,
    );
    const copy = f32s(`${what}: logits texture copy`, 1, n * vocab);
    return [
      logits,
      ...(input.software ? [copy] : []),
      {
        what: `${what}: activations, attention textures, backward scratch (×${kept})`,
        bytes: kept * (n * ((layers + 2) * d + 1) + layers * (perBlock + n * qkv) +
          n * (2 * d + 3 * inter + 2 * qWidth + qkv + 4 * heads + 4) + (qkv + 2 * inter) * d) *
          F32,
        largest: n * Math.max(2 * inter, qkv, d) * F32,
      },
    ];
  };
  /**
   * A module's records a, g of batches of `batch` sequences of at most `tokens` rows: each of the model's
   * kept workspaces holds its own (counted at the longest).
   */
  const recordsOf = (batch: number, tokens: number) => (m: Module) => {
    const kept = Math.min(MAX_WORKSPACES, padded(tokens) / SEQ_LEN_MULTIPLE);
    return f32s(`records a, g (×${kept})`, kept, batch * padded(tokens) * (m.in + m.out));
  };
  const fitRows = FIT_BATCH_DOCUMENTS * padded(input.fitTokens);
  const q = input.queries;
  const widestIn = Math.max(...modules.map((m) => m.in)), widestOut = Math.max(...modules.map((m) => m.out));
  const largestSize = Math.max(...modules.map((m) => m.in * m.out));
  const fitBatch = workspace(
    `fit batch (${FIT_BATCH_DOCUMENTS} documents)`,
    FIT_BATCH_DOCUMENTS,
    input.fitTokens,
  );
  const perPass = Math.min(FIT_BATCH_DOCUMENTS, Math.max(1, Math.floor(4 * 2 ** 20 / largestSize)));

  const shapes: Record<PlannedStage, StageSpec> = {
    "fit covariances": {
      runs: strategy !== "identity",
      shape: () => ({
        shared: [...model, ...fitBatch, f32s("gathered fit rows", 1, fitRows * (widestIn + widestOut))],
        perModule: (
          m,
        ) => [
          recordsOf(FIT_BATCH_DOCUMENTS, input.fitTokens)(m),
          pair("sums of a aᵀ and g gᵀ", m.in ** 2, m.out ** 2),
        ],
      }),
    },
    // gpu-jacobi stacks every block of one width into [count, n, n] tensors (matrix and eigenvectors,
    // each double-buffered).
    "eigendecomposition": {
      runs: eigenbases && input.eigensolver === "gpu-jacobi",
      shape: () => ({
        shared: [],
        perModule: (m) => [
          pair(
            "Jacobi matrices and eigenvectors (×4)",
            4 * blocks * (m.in / blocks) ** 2,
            4 * blocks * (m.out / blocks) ** 2,
          ),
        ],
      }),
    },
    "Λ fit": {
      runs: strategy === "ekfac" || strategy === "diagonal",
      shape: () => ({
        shared: [
          ...model,
          ...fitBatch,
          f32s("sequence gradients and their rotation", 2, perPass * largestSize),
        ],
        perModule: (m) => [
          recordsOf(FIT_BATCH_DOCUMENTS, input.fitTokens)(m),
          ...(strategy === "ekfac" ? [pair("eigenbases Q_A, Q_S", m.in ** 2, m.out ** 2)] : []),
          f32s(strategy === "ekfac" ? "Λ and D sums" : "D sum", strategy === "ekfac" ? 2 : 1, m.in * m.out),
        ],
      }),
    },
    // The raw gradients of a batch of queries, then every query's V and P (and the preconditioner's
    // two work tensors) with the module's factors.
    "query gradients": {
      runs: true,
      batch: QUERY_BATCH,
      batchTokens: input.queryTokens,
      shape: (rows, _docs, batch) => ({
        shared: [
          ...model,
          ...workspace(`query batch (${batch} queries)`, batch, input.queryTokens),
        ],
        perModule: (m) => [
          recordsOf(batch, input.queryTokens)(m),
          f32s("gradients of a query batch", 1, batch * m.in * m.out),
          f32s(`query gradients V and P [${rows}, ${m.out}·${m.in}]`, 2, rows * m.in * m.out),
          ...(eigenbases
            ? [
              f32s("preconditioner work tensors", 2, rows * m.in * m.out),
              pair("eigenbases Q_A, Q_S", m.in ** 2, m.out ** 2),
            ]
            : []),
          ...(strategy === "identity" ? [] : [f32s("1 / (eigenvalues + λ)", 1, m.in * m.out)]),
        ],
      }),
    },
    "scoring": {
      runs: true,
      batch: SCORE_BATCH_DOCUMENTS,
      batchTokens: input.scoreTokens,
      shape: (rows, docs, batch) => ({
        shared: [
          ...model,
          ...workspace(
            `score batch (${batch} documents)`,
            batch,
            input.scoreTokens,
          ),
          f32s("scores and norms", 1, (rows + 2) * docs),
        ],
        perModule: (m) => [
          recordsOf(batch, input.scoreTokens)(m),
          f32s(`preconditioned queries [${rows}, ${m.out}·${m.in}]`, 1, rows * m.in * m.out),
          f32s(`document gradients [${docs}, ${m.out}·${m.in}]`, 1, docs * m.in * m.out),
          f32s("per-layer scores", 1, rows * docs),
        ],
      }),
    },
  };

  const stages = PLANNED_STAGES.map((stage) =>
    planStage(stage, shapes[stage], modules, q, input.budgetBytes, binding, largestSize, vocab)
  );
  let largestBuffer = { stage: stages[0].stage, what: "", bytes: 0 };
  for (const s of stages) {
    for (const b of s.buffers) {
      if (b.largest > largestBuffer.bytes) largestBuffer = { stage: s.stage, what: b.what, bytes: b.largest };
    }
  }
  const factorFloats = modules.reduce(
    (sum, m) => sum + 2 * (m.in ** 2 + m.out ** 2) + m.in + m.out + 2 * m.in * m.out,
    0,
  );
  return {
    modules: modules.length,
    blocks,
    widestFactor,
    eigenBlockWidth: eigenbases ? widestFactor / blocks : 0,
    stages,
    peakBytes: Math.max(...stages.map((s) => s.peakBytes)),
    largestBuffer,
    factorsFileBytes: eigenbases || strategy === "diagonal" ? factorFloats * 8 : 0,
    queryRowBytes: modules.reduce((sum, m) => sum + m.in * m.out, 0) * F32,
    streamFactors: stages.some((s) => s.streamed),
    needs: stages.flatMap((s) => s.needs.map((n) => `${s.stage}: ${n}`)),
  };
}

function padded(tokens: number): number {
  return Math.ceil(tokens / SEQ_LEN_MULTIPLE) * SEQ_LEN_MULTIPLE;
}

/** The block count: the given one (checked), or the fewest of 1, 2, 4 within the limits. */
function chooseBlocks(
  input: MemoryPlanInput,
  modules: readonly Module[],
  eigenbases: boolean,
  widest: number,
  maxEigenWidth: number,
  binding: number,
): 1 | 2 | 4 {
  if (!eigenbases) return input.blocks ?? 1;
  const fits = (b: number) =>
    modules.every((m) => m.in % b === 0 && m.out % b === 0) &&
    widest / b <= maxEigenWidth &&
    (input.eigensolver !== "gpu-jacobi" || (widest / b) ** 2 * F32 <= binding);
  if (input.blocks !== undefined) {
    if (!fits(input.blocks)) {
      throw new MemoryPlanError(
        `eigendecomposition: ${input.blocks} block(s) leave blocks ${widest / input.blocks} wide ` +
          `(widest factor ${widest}), more than ${maxEigenWidth} (maxEigenWidth) or one binding ` +
          `(${formatBytes(binding)}), or do not divide every width; use more blocks`,
      );
    }
    return input.blocks;
  }
  const chosen = ([1, 2, 4] as const).find(fits);
  if (chosen === undefined) {
    throw new MemoryPlanError(
      `eigendecomposition: the widest factor (${widest}) needs equal blocks of at most ${maxEigenWidth} ` +
        `(maxEigenWidth) that fit one binding (${formatBytes(binding)}); 4 blocks (the most) leave ${
          widest / 4
        }`,
    );
  }
  return chosen;
}

const sum = (list: readonly PlannedBuffer[]) => list.reduce((s, b) => s + b.bytes, 0);
const widest = (list: readonly PlannedBuffer[]) =>
  list.reduce((top, b) => (b.largest > top.largest ? b : top), { what: "", bytes: 0, largest: 0 });

/** The heaviest-first group of modules that fits `budget` with the shared buffers (0: not even one). */
function fitModules(shape: StageShape, modules: readonly Module[], budget: number) {
  const each = modules.map((m) => shape.perModule(m)).sort((a, b) => sum(b) - sum(a));
  let count = 0, total = sum(shape.shared);
  while (count < each.length && total + sum(each[count]) <= budget) total += sum(each[count++]);
  return { count, total, each };
}

/** One stage: query rows and product width within a binding, then modules within the budget. */
function planStage(
  stage: PlannedStage,
  spec: StageSpec,
  modules: readonly Module[],
  queries: number,
  budget: number,
  binding: number,
  largestSize: number,
  vocab: number,
): StagePlan {
  const { runs } = spec;
  const perQuery = stage === "query gradients" || stage === "scoring";
  if (!runs) {
    return {
      stage,
      runs,
      peakBytes: 0,
      residentBytes: 0,
      modulesAtOnce: 0,
      streamed: false,
      groups: 0,
      queryRowsPerPass: 0,
      productDocuments: 0,
      batchSequences: 0,
      needs: [],
      buffers: [],
    };
  }
  // Fewer sequences per forward/backward batch while its logits exceed a binding.
  let batch = spec.batch ?? 0;
  while (batch > 1 && batch * padded(spec.batchTokens!) * vocab * F32 > binding) batch = Math.ceil(batch / 2);
  // Query rows and documents whose one-module buffers fit a binding.
  let rows = perQuery ? Math.min(queries, Math.floor(binding / (largestSize * F32))) : 0;
  let docs = stage === "scoring" ? SCORE_PRODUCT_DOCUMENTS : 0;
  while (stage === "scoring" && docs > batch && docs * largestSize * F32 > binding) {
    docs = Math.max(batch, docs / 2);
  }
  if (perQuery && rows < 1) {
    throw new MemoryPlanError(
      `${stage}: one query row of the widest module (${
        formatBytes(largestSize * F32)
      }) exceeds one binding ` +
        `(${formatBytes(binding)})`,
    );
  }
  let shape = spec.shape(rows, docs, batch), fit = fitModules(shape, modules, budget);
  // Until one module fits: fewer sequences per batch (the same work), then fewer documents per product,
  // then fewer query rows per pass (each pass repeats the documents' forward and backward passes).
  while (fit.count === 0 && (rows > 1 || docs > batch || batch > 1)) {
    if (batch > 1) batch = Math.ceil(batch / 2);
    else if (docs > batch) docs = Math.max(batch, docs / 2);
    else rows = Math.ceil(rows / 2);
    shape = spec.shape(rows, docs, batch);
    fit = fitModules(shape, modules, budget);
  }
  const unsplittable = widest(shape.shared);
  if (unsplittable.largest > binding) {
    throw new MemoryPlanError(
      `${stage}: one buffer (${unsplittable.what}) needs ${
        formatBytes(unsplittable.largest)
      }, more than one ` +
        `binding may hold (${formatBytes(binding)}, maxStorageBufferBindingSize)`,
    );
  }
  if (fit.count === 0) {
    const shared = sum(shape.shared), one = sum(fit.each[0]);
    throw new MemoryPlanError(
      `${stage}: needs ${formatBytes(shared + one)} with one tracked module on the device ` +
        `(${formatBytes(shared)} shared, the largest ${largestShared(shape.shared)}; ${formatBytes(one)} ` +
        `per module${perQuery ? `, ${rows} query row(s)` : ""}), more than the budget of ${
          formatBytes(budget)
        }`,
    );
  }
  const needs: string[] = [];
  if (perQuery && rows < queries) {
    needs.push(
      `${Math.ceil(queries / rows)} passes of at most ${rows} query rows (the engine holds all ${queries})`,
    );
  }
  // The scoring's batch and product widths are pipeline settings (planSettings); the query batch is not.
  if (stage === "query gradients" && batch < spec.batch!) {
    needs.push(`forward/backward batches of ${batch} sequences (the engine uses ${spec.batch})`);
  }
  const streamed = fit.count < modules.length;
  if (streamed && !ENGINE_STREAMS_MODULES[stage]) {
    needs.push(`modules streamed ${fit.count} of ${modules.length} at a time (the engine holds all)`);
  }
  const merged = new Map<string, PlannedBuffer>();
  for (const b of [...shape.shared, ...fit.each.slice(0, fit.count).flat()]) {
    const m = merged.get(b.what);
    merged.set(
      b.what,
      m ? { what: b.what, bytes: m.bytes + b.bytes, largest: Math.max(m.largest, b.largest) } : b,
    );
  }
  return {
    stage,
    runs,
    peakBytes: fit.total,
    residentBytes: sum(shape.shared) + fit.each.reduce((s, list) => s + sum(list), 0),
    modulesAtOnce: fit.count,
    streamed,
    groups: Math.ceil(modules.length / fit.count),
    queryRowsPerPass: rows,
    productDocuments: docs,
    batchSequences: batch,
    needs,
    buffers: [...merged.values()],
  };
}

function largestShared(list: readonly PlannedBuffer[]): string {
  const top = [...list].sort((a, b) => b.bytes - a.bytes)[0];
  return top === undefined ? "nothing" : `${top.what} ${formatBytes(top.bytes)}`;
}

/**
 * The plan as lines for a log or a report: per stage its peak, whether modules are streamed and its
 * largest buffers.
 *
 * @param plan The plan.
 * @returns Lines.
 */
export function describePlan(plan: MemoryPlan): string[] {
  const lines = [
    `${plan.modules} tracked modules, widest factor ${plan.widestFactor}` +
    (plan.eigenBlockWidth > 0
      ? `, eigendecomposition in ${plan.blocks} block(s) of ${plan.eigenBlockWidth}`
      : ""),
  ];
  for (const s of plan.stages) {
    if (!s.runs) {
      lines.push(`${s.stage}: not run`);
      continue;
    }
    const top = [...s.buffers].sort((a, b) => b.bytes - a.bytes).slice(0, 3)
      .map((b) => `${b.what} ${formatBytes(b.bytes)}`).join("; ");
    lines.push(
      `${s.stage}: peak ${formatBytes(s.peakBytes)}` +
        (s.streamed
          ? `, modules streamed ${s.modulesAtOnce} of ${plan.modules} at a time in ${s.groups} passes (all resident: ${
            formatBytes(s.residentBytes)
          })`
          : ", every module resident") +
        (s.queryRowsPerPass > 0 ? `, ${s.queryRowsPerPass} query rows per pass` : "") + ` — ${top}`,
    );
  }
  return lines;
}

/**
 * The pipeline settings that run a plan: `moduleGroups` with each streamed stage's modules at once (null
 * when every stage holds every module), and the scoring's forward/backward batch and product widths.
 * Any `modulesAtOnce` modules fit the budget (the plan counts the heaviest ones), so the pipeline's
 * consecutive groups of that many fit too.
 *
 * @param plan A plan from {@linkcode planInfluenceMemory}.
 * @returns Settings to pass to the pipeline (over the setup's own).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "../model/config.ts";
 * import { planInfluenceMemory, planSettings } from "./memory_plan.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 64, intermediate_size: 192, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100,
 * });
 * const plan = planInfluenceMemory({
 *   config, trackedModules: ["gate_proj", "up_proj", "down_proj"], strategy: "ekfac",
 *   eigensolver: "cpu-f64", fitTokens: 256, queryTokens: 64, scoreTokens: 256, queries: 40,
 *   budgetBytes: 2 ** 30,
 * });
 * assert.deepEqual(planSettings(plan), { moduleGroups: null, scoreBatchDocuments: 16, scoreProductDocuments: 128 });
 * ```
 */
export function planSettings(
  plan: MemoryPlan,
): Pick<InfluencePipelineSettings, "moduleGroups" | "scoreBatchDocuments" | "scoreProductDocuments"> {
  const groups: { [S in PlannedStage]?: number } = {};
  for (const s of plan.stages) if (s.runs && s.streamed) groups[s.stage] = s.modulesAtOnce;
  const scoring = plan.stages.find((s) => s.stage === "scoring")!;
  return {
    moduleGroups: Object.keys(groups).length > 0 ? groups as ModuleGroups : null,
    scoreBatchDocuments: scoring.batchSequences,
    scoreProductDocuments: scoring.productDocuments,
  };
}
