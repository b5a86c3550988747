import { join } from "node:path";
import { writeSafetensors } from "../../engine/io/mod.ts";
import type { LayerCovariance, LayerEigenbasis } from "../../engine/influence/mod.ts";
import { type CovarianceSums, finishLambda, type LambdaSums } from "../../engine/influence/gpu/mod.ts";
import {
  corpusRows,
  documentsInParts,
  type EigenSummary,
  fitFactorsExact,
  fitOrder,
  type FitSeconds,
  type InfluencePipeline,
  SEQ_LEN_MULTIPLE,
  shardRange,
  storeLambda,
} from "../../engine/influence/pipeline/mod.ts";
import { z } from "zod";
import type { Artifact, StageContext, StageDef } from "../run/stage.ts";
import { jsonNumber, summaryOf } from "../run/summary_of.ts";
import { UserError } from "../run/user_error.ts";
import { documentIds } from "../influence/device_batch.ts";
import { encodeFactors } from "../influence/factors_file.ts";
import { fitDocuments } from "../influence/fit_documents.ts";
import {
  decodeParts,
  encodeParts,
  FIT_BATCH_DOCUMENTS,
  type FitPlan,
  joinParts,
  planFit,
  type StoredParts,
} from "../influence/fit_parts.ts";
import { type InfluenceModel, readInfluenceModel } from "../influence/influence_model.ts";
import { withPipeline } from "../influence/with_pipeline.ts";
import { type PlannedPipelineSettings, stagePlannedSettings } from "../influence/memory_check.ts";
import { FACTOR_MODULES_DIR, FileFactorStore } from "../influence/module_files.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import { readTokenizedCorpus, type TokenizedCorpus } from "./tokenize_stage.ts";
import { modelSummarySchema } from "./model_stage.ts";
import { sha256Hex } from "../run/hash.ts";

export { FIT_BATCH_DOCUMENTS };

/** What the factors stage records about a setup's fit. */
export interface FactorsSummary {
  /** False when the strategy (identity) needs no curvature and nothing was fitted. */
  fitted: boolean;
  /** T: fit tokens (positions with a loss term). */
  tokens: number;
  /** N_seq: fit sequences. */
  sequences: number;
  /** Largest orthogonality and reconstruction errors of the eigendecompositions over all A and S. */
  eigen: { solver: string; maxOrthogonalityError: number; maxReconstructionError: number; maxSweeps: number };
  /** Tracked layers: name and [out, in]. */
  layers: { name: string; outDim: number; inDim: number }[];
  /** Seconds of each phase (pass 1 as the covariances stage took it, summed over its shards). */
  seconds: FitSeconds;
}

/** What the covariances stage records (per run or shard). */
export interface CovariancesSummary {
  /** False when nothing was fitted here (identity strategy, or exact labels: fitted by `factors`). */
  fitted: boolean;
  /** Parts [first, last) of the fit this artifact holds, of `parts`. */
  range: [number, number];
  parts: number;
  /** Seconds of pass 1 over these parts. */
  seconds: number;
}

/** {@linkcode FactorsSummary} as read back from meta.json. */
export const factorsSummarySchema: z.ZodType<FactorsSummary, unknown> = z.looseObject({
  fitted: z.boolean(),
  tokens: z.number(),
  sequences: z.number(),
  eigen: z.looseObject({
    solver: z.string(),
    maxOrthogonalityError: jsonNumber,
    maxReconstructionError: jsonNumber,
    maxSweeps: jsonNumber,
  }),
  layers: z.array(z.looseObject({ name: z.string(), outDim: z.number(), inDim: z.number() })),
  seconds: z.looseObject({ pass1: z.number(), eigen: z.number(), pass2: z.number() }),
});

/** {@linkcode CovariancesSummary} as read back from meta.json. */
export const covariancesSummarySchema: z.ZodType<CovariancesSummary, unknown> = z.looseObject({
  fitted: z.boolean(),
  range: z.tuple([z.number(), z.number()]),
  parts: z.number(),
  seconds: z.number(),
});

/**
 * The factor-relevant part of a setup's settings: its influence settings and, only when set (so that
 * manifests without it keep their cache keys), its `deviceMemoryGiB`, whose memory plan may stream the
 * modules (the factors are then written per module, and GPU Jacobi groups converge on their own).
 */
function factorSettings(influence: InfluenceSettings & { seed: number }, deviceMemoryGiB?: number) {
  return {
    needed: influence.strategy !== "identity",
    trackedModules: influence.trackedModules,
    labels: influence.labels,
    fitDocuments: influence.fitDocuments,
    // Only when set, so manifests that leave it out keep their cache keys.
    ...(influence.fitFrom === undefined ? {} : { fitFrom: influence.fitFrom }),
    blocks: influence.blocks,
    eigensolver: influence.eigensolver,
    seed: influence.seed,
    batchDocuments: FIT_BATCH_DOCUMENTS,
    partDocuments: influence.fitPartDocuments,
    // Sampled labels are drawn per padded row, so the padding step shapes the fit.
    seqLenMultiple: SEQ_LEN_MULTIPLE,
    ...(deviceMemoryGiB === undefined ? {} : { deviceMemoryGiB }),
  };
}

/**
 * The pass-1 settings (the eigensolver does not enter pass 1, nor does `deviceMemoryGiB`: module groups
 * give the same sums bit for bit).
 */
function covarianceSettings(influence: InfluenceSettings & { seed: number }) {
  const { eigensolver: _, ...rest } = factorSettings(influence);
  return rest;
}

/** Inputs both fit stages read. */
async function openFit(ctx: StageContext) {
  const influence = ctx.setup!.influence;
  const model = await readInfluenceModel(ctx.inputs.model.dir, influence);
  const corpus = fitCorpus(
    await readTokenizedCorpus(ctx.inputs.tokenize.dir),
    influence.fitFrom,
    ctx.setup!.name,
  );
  const rows = corpusRows(corpus.documents);
  // Fit documents by length, then index: batches of similar length waste few padded positions.
  const docs = fitOrder(
    rows,
    fitDocuments(corpus.documentIds.length, influence.fitDocuments, influence.seed),
  );
  // The setup's memory plan (deviceMemoryGiB): module groups of each pass, factors written per module.
  const planned = await stagePlannedSettings(ctx, model.config);
  return {
    influence,
    model,
    corpus,
    rows,
    docs,
    plan: planFit(corpus, docs, influence.fitPartDocuments),
    planned,
  };
}

/** Whether a plan streams modules: the factors (and query rows) are then written per module. */
function streams(planned: PlannedPipelineSettings | null): boolean {
  return planned?.moduleGroups != null;
}

/**
 * The corpus the fit draws from: the tokenized corpus itself, or (`fitFrom` "unscored") the same object
 * with the unscored documents (and their ids) in place of the scored ones, so that fit indices refer to
 * them.
 *
 * @param corpus The tokenize stage's outputs.
 * @param fitFrom The setup's `influence.fitFrom`.
 * @param setup The setup's name, for the error.
 * @returns The corpus to fit on.
 * @throws {UserError} When "unscored" is asked of a world without unscored documents.
 */
export function fitCorpus(
  corpus: TokenizedCorpus,
  fitFrom: "scored" | "unscored" | undefined,
  setup: string,
) {
  if (fitFrom !== "unscored") return corpus;
  const count = corpus.unscored.offsets.length - 1;
  if (count < 1) {
    throw new UserError(
      `Setup ${setup}: influence.fitFrom is "unscored" but the world has no unscored documents ` +
        '(set world.unscored.documents, or fitFrom "scored")',
    );
  }
  return { ...corpus, documents: corpus.unscored, documentIds: corpus.unscoredIds };
}

/** The parts [first, last) a run computes: all of them, or its shard's slice of whole parts. */
function partRange(ctx: StageContext, plan: FitPlan): [number, number] {
  return ctx.shard ? shardRange(plan.parts.length, ctx.shard.index, ctx.shard.count) : [0, plan.parts.length];
}

const PARTS_FILE = "parts.safetensors";

/**
 * Stage `covariances` (per setup): pass 1 of EK-FAC's fit (docs/method.md, "EK-FAC, step by step", step 1). Over the fit documents
 * with labels sampled from the model (Philox draw 0 with the influence seed; `empirical`: the documents'
 * next tokens) it accumulates Σ a aᵀ and Σ g gᵀ per tracked layer (`blocks` diagonal blocks), read back
 * per part of `influence.fitPartDocuments` documents. Writes `parts.safetensors` (`encodeParts`: every part's raw f32
 * sums, counts and the labels used); `factors` sums the parts in float64 and finishes A and S. Shardable:
 * `--shard I/N` computes a slice of whole parts, and the merge joins the shards' parts, so a sharded
 * fit equals an unsharded one bit for bit. With exact-expectation labels or the identity strategy the
 * stage writes no parts (the `factors` stage fits exactly on the CPU, or fits nothing).
 */
export const covariancesStage: StageDef = {
  name: "covariances",
  version: 1,
  perSetup: true,
  deps: ["tokenize", "model"],
  settings: (_m, setup) => covarianceSettings(setup!.influence),
  async run(ctx) {
    const { influence, model, rows, plan, planned } = await openFit(ctx);
    if (influence.strategy === "identity" || influence.labels === "exact") {
      await Deno.writeFile(join(ctx.outDir, PARTS_FILE), encodeParts({ first: 0, sums: [], labels: [] }));
      return { fitted: false, range: [0, 0], parts: 0, seconds: 0 } satisfies CovariancesSummary;
    }
    const range = partRange(ctx, plan);
    const t0 = performance.now();
    const parts = await withPipeline(model, influence, async (pipeline) => {
      // One pass over the fit documents per module group.
      const passes = pipeline.groups("fit covariances").length;
      const progress = ctx.progress("pass 1 (A, S)", documentsInParts(plan, range) * passes);
      try {
        return await pipeline.fitCovarianceParts(rows, plan, range, (n) => progress.tick(n));
      } finally {
        progress.done();
      }
    }, planned);
    await Deno.writeFile(join(ctx.outDir, PARTS_FILE), encodeParts({ first: range[0], ...parts }));
    const seconds = (performance.now() - t0) / 1000;
    return { fitted: true, range, parts: plan.parts.length, seconds } satisfies CovariancesSummary;
  },
  shards: {
    async merge(ctx, shards) {
      const { model, plan } = await openFit(ctx);
      const layers = model.layers.map((l) => l.name);
      const stored = await Promise.all(shards.map((a) => readParts(a, layers)));
      const fitted = shards.some((a) => summaryOf(a, covariancesSummarySchema).fitted);
      const joined = fitted
        ? joinParts(stored, plan.parts.length, "covariances merge")
        : { first: 0, sums: [], labels: [] };
      await Deno.writeFile(join(ctx.outDir, PARTS_FILE), encodeParts(joined));
      const seconds = shards.reduce((t, a) => t + summaryOf(a, covariancesSummarySchema).seconds, 0);
      return {
        fitted,
        range: [0, fitted ? plan.parts.length : 0],
        parts: fitted ? plan.parts.length : 0,
        seconds,
      } satisfies CovariancesSummary;
    },
  },
};

async function readParts(
  artifact: Artifact,
  layers: string[],
): Promise<StoredParts<CovarianceSums | LambdaSums>> {
  const path = join(artifact.dir, PARTS_FILE);
  return decodeParts(await Deno.readFile(path), layers, path);
}

/**
 * Covariances (finished from every part) and their eigendecomposition, as every factors run needs them:
 * in memory, or, when the plan streams modules, written per module to `store` one eigendecomposition
 * group at a time (`eigen` then reads them back by group).
 */
async function fitBases(
  ctx: StageContext,
  pipeline: InfluencePipeline,
  store: FileFactorStore | null,
): Promise<
  {
    pass1: StoredParts<CovarianceSums>;
    covariances: Map<string, LayerCovariance> | null;
    eigen:
      | Map<string, LayerEigenbasis>
      | ((names: readonly string[]) => Promise<Map<string, LayerEigenbasis>>);
    layers: EigenSummary[];
    seconds: number;
  }
> {
  const names = pipeline.layers.map((l) => l.name);
  const pass1 = await readParts(ctx.inputs.covariances, names) as StoredParts<CovarianceSums>;
  const t0 = performance.now();
  if (store === null) {
    const { covariances, eigen } = await pipeline.eigenbases(pass1.sums);
    return {
      pass1,
      covariances,
      eigen,
      layers: [...eigen.values()],
      seconds: (performance.now() - t0) / 1000,
    };
  }
  const layers = await pipeline.writeEigenbases(pass1.sums, store);
  const eigen = async (names: readonly string[]) =>
    new Map([...await store.read(names)].map(([name, m]) => [name, m.eigen]));
  return { pass1, covariances: null, eigen, layers, seconds: (performance.now() - t0) / 1000 };
}

/** The provenance recorded in a setup's factors files. */
async function provenanceOf(ctx: StageContext, settings: ReturnType<typeof factorSettings>) {
  return {
    modelSha256: summaryOf(ctx.inputs.model, modelSummarySchema).checkpointSha256,
    tokenizerSha256: await sha256Hex(await Deno.readFile(join(ctx.inputs.tokenize.dir, "tokenizer.json"))),
    settings: JSON.stringify(settings),
  };
}

/**
 * Stage `factors` (per setup): the rest of EK-FAC's curvature (docs/method.md, "EK-FAC, step by step", steps 2-3). A and S are
 * finished from the `covariances` parts (float64 sum over parts, then per-token averages) and
 * eigendecomposed in float64 on the CPU or by GPU Jacobi; pass 2 with fresh labels (draw 1) fits Λ and D
 * (per-sequence averages), part by part as pass 1. Writes `factors.safetensors` (see `encodeFactors`)
 * and `fit_labels.safetensors` (`documents` I32 [F] fit-document indices, `offsets` I32 [F + 1], `pass1`
 * and `pass2` I32 [tokens]: the labels each pass used per document position, −1 at the last), so that
 * any reference can be fed the same labels. Shardable like `covariances`: a shard writes its parts of
 * pass 2 (`parts.safetensors`) and the merge finishes Λ from all of them, bit-identical to an unsharded
 * run. `labels: "exact"` fits with the exact expectation over the vocabulary on the float64 CPU
 * reference instead (micro models, one piece: not shardable; see `fitExact`). The identity strategy
 * needs no curvature: the stage then writes an empty factors file. When the setup's memory plan
 * (`deviceMemoryGiB`) streams modules, the factors are written per module instead (`factors/<layer>.safetensors`,
 * each a factors file of one layer): A, S and their eigenbases as each eigendecomposition group finishes,
 * read back one group at a time by pass 2 (one pass over the fit documents per group), then completed with
 * Λ and D (docs/streaming.md).
 */
export const factorsStage: StageDef = {
  name: "factors",
  version: 5,
  perSetup: true,
  deps: ["tokenize", "model", "covariances"],
  settings: (_m, setup) => factorSettings(setup!.influence, setup!.deviceMemoryGiB),
  async run(ctx) {
    const { influence, model, corpus, rows, docs, plan, planned } = await openFit(ctx);
    const settings = factorSettings(influence, ctx.setup!.deviceMemoryGiB);
    const empty = emptySummary(model);
    if (!settings.needed) {
      await Deno.writeFile(join(ctx.outDir, "factors.safetensors"), writeSafetensors({}));
      return empty;
    }
    if (influence.labels === "exact") {
      if (ctx.shard) {
        throw new UserError(
          `Setup ${ctx.setup!.name}: influence.labels "exact" is fitted on the CPU in one piece and cannot ` +
            `be sharded; run it without --shard (or use "sampled")`,
        );
      }
      return await fitExact(ctx, model, corpus, rows, docs, settings, empty);
    }
    const range = partRange(ctx, plan);
    // Streamed: the module files go to the artifact (a shard's, which the merge recomputes, to its work folder).
    const store = streams(planned)
      ? new FileFactorStore(
        join(ctx.shard ? ctx.workDir : ctx.outDir, FACTOR_MODULES_DIR),
        await provenanceOf(ctx, settings),
      )
      : null;
    return await withPipeline(model, influence, async (pipeline) => {
      const bases = await fitBases(ctx, pipeline, store);
      const t0 = performance.now();
      const passes = pipeline.groups("Λ fit").length;
      const progress = ctx.progress("pass 2 (Λ)", documentsInParts(plan, range) * passes);
      let result;
      try {
        result = await pipeline.fitLambdaParts(rows, plan, bases.eigen, range, (n) => progress.tick(n));
      } finally {
        progress.done();
      }
      const pass2Seconds = (performance.now() - t0) / 1000;
      if (ctx.shard) {
        await Deno.writeFile(join(ctx.outDir, PARTS_FILE), encodeParts({ first: range[0], ...result }));
        return { ...empty, fitted: true, seconds: { pass1: 0, eigen: bases.seconds, pass2: pass2Seconds } };
      }
      return await writeFactors(ctx, pipeline, corpus, plan, bases, result, store, settings, {
        pass1: pass1Seconds(ctx),
        eigen: bases.seconds,
        pass2: pass2Seconds,
      });
    }, planned);
  },
  shards: {
    async merge(ctx, shards) {
      const { influence, model, corpus, plan, planned } = await openFit(ctx);
      const settings = factorSettings(influence, ctx.setup!.deviceMemoryGiB);
      // Identity (nothing fitted) and exact labels (refused for shards) have no parts to join.
      if (!settings.needed || influence.labels === "exact") return await factorsStage.run(ctx);
      const layers = model.layers.map((l) => l.name);
      const stored = await Promise.all(shards.map((a) => readParts(a, layers)));
      const pass2 = joinParts(stored, plan.parts.length, "factors merge") as StoredParts<LambdaSums>;
      const pass2Seconds = shards.reduce((t, a) => t + summaryOf(a, factorsSummarySchema).seconds.pass2, 0);
      const store = streams(planned)
        ? new FileFactorStore(join(ctx.outDir, FACTOR_MODULES_DIR), await provenanceOf(ctx, settings))
        : null;
      return await withPipeline(model, influence, async (pipeline) => {
        const bases = await fitBases(ctx, pipeline, store);
        return await writeFactors(ctx, pipeline, corpus, plan, bases, pass2, store, settings, {
          pass1: pass1Seconds(ctx),
          eigen: bases.seconds,
          pass2: pass2Seconds,
        });
      }, planned);
    },
  },
};

function emptySummary(model: InfluenceModel): FactorsSummary {
  return {
    fitted: false,
    tokens: 0,
    sequences: 0,
    eigen: { solver: "none", maxOrthogonalityError: 0, maxReconstructionError: 0, maxSweeps: 0 },
    layers: model.layers.map(({ name, outDim, inDim }) => ({ name, outDim, inDim })),
    seconds: { pass1: 0, eigen: 0, pass2: 0 },
  };
}

/** The summary of a finished fit: counts and the worst eigendecomposition accuracy over all A and S. */
function fittedSummary(
  empty: FactorsSummary,
  layers: readonly EigenSummary[],
  solver: string,
  seconds: FactorsSummary["seconds"],
): FactorsSummary {
  const accuracies = layers.flatMap((e) => [e.accuracy.a, e.accuracy.s]);
  const first = layers[0];
  return {
    ...empty,
    fitted: true,
    tokens: first.tokens,
    sequences: first.sequences,
    eigen: {
      solver,
      maxOrthogonalityError: Math.max(...accuracies.map((a) => a.orthogonalityError)),
      maxReconstructionError: Math.max(...accuracies.map((a) => a.reconstructionError)),
      maxSweeps: Math.max(...accuracies.map((a) => a.sweeps)),
    },
    seconds,
  };
}

function pass1Seconds(ctx: StageContext): number {
  return summaryOf(ctx.inputs.covariances, covariancesSummarySchema).seconds;
}

/**
 * Writes the finished factors (one file, or Λ and D added to each module's file of the store) and both
 * passes' labels; returns the stage summary.
 */
async function writeFactors(
  ctx: StageContext,
  pipeline: InfluencePipeline,
  corpus: TokenizedCorpus,
  plan: FitPlan,
  bases: Awaited<ReturnType<typeof fitBases>>,
  pass2: { labels: Int32Array[]; sums: LambdaSums[] },
  store: FileFactorStore | null,
  settings: ReturnType<typeof factorSettings>,
  seconds: FactorsSummary["seconds"],
): Promise<FactorsSummary> {
  const influence = ctx.setup!.influence;
  const { covariances, eigen } = bases;
  if (store === null) {
    const lambda = finishLambda(pipeline.layers, pass2.sums);
    await Deno.writeFile(
      join(ctx.outDir, "factors.safetensors"),
      encodeFactors(
        { covariances: covariances!, eigen: eigen as Map<string, LayerEigenbasis>, lambda },
        await provenanceOf(ctx, settings),
      ),
    );
  } else {
    await storeLambda(store, pipeline.groups("Λ fit"), pass2.sums);
  }
  await Deno.writeFile(
    join(ctx.outDir, "fit_labels.safetensors"),
    fitLabelsFile(corpus, plan.documents, bases.pass1.labels, pass2.labels),
  );
  return fittedSummary(emptySummary(pipeline.model), bases.layers, influence.eigensolver, seconds);
}

function fitLabelsFile(
  corpus: TokenizedCorpus,
  docs: number[],
  pass1: Int32Array[],
  pass2: Int32Array[],
): Uint8Array {
  const offsets = new Int32Array(docs.length + 1);
  docs.forEach((d, i) => (offsets[i + 1] = offsets[i] + documentIds(corpus.documents, d).length));
  const concat = (rows: Int32Array[]) => {
    const out = new Int32Array(offsets[docs.length]);
    rows.forEach((r, i) => out.set(r, offsets[i]));
    return out;
  };
  const i32 = (data: Int32Array) => ({ dtype: "I32" as const, shape: [data.length], data });
  return writeSafetensors({
    documents: i32(Int32Array.from(docs)),
    offsets: i32(offsets),
    pass1: i32(concat(pass1)),
    pass2: i32(concat(pass2)),
  });
}

/**
 * Most pseudo-gradient backward passes (fit positions × vocabulary) an exact-label fit may take: the float64
 * reference managed ~100 passes/s on a hidden-16 micro model here (26,000 passes: 4.5 min).
 */
export const EXACT_LABEL_BUDGET = 50_000;

/**
 * Exact-expectation labels (`influence.labels: "exact"`): S and Λ are fitted with the expectation over the
 * whole vocabulary instead of sampled labels, by the float64 CPU reference (one backward pass per position
 * and vocabulary entry), so the run has no label noise. For micro models and small fit sets only: a fit
 * over EXACT_LABEL_BUDGET passes is refused with the figures.
 */
async function fitExact(
  ctx: StageContext,
  model: InfluenceModel,
  corpus: TokenizedCorpus,
  rows: readonly Int32Array[],
  docs: number[],
  settings: ReturnType<typeof factorSettings>,
  empty: FactorsSummary,
): Promise<FactorsSummary> {
  const influence = ctx.setup!.influence;
  const sequences = docs.map((d) => rows[d]);
  const positions = sequences.reduce((n, s) => n + s.length - 1, 0);
  const passes = positions * model.config.vocabSize;
  if (passes > EXACT_LABEL_BUDGET) {
    throw new UserError(
      `Setup ${ctx.setup!.name}: influence.labels "exact" needs ${positions} fit positions × ` +
        `${model.config.vocabSize} vocabulary entries = ${passes} backward passes (at most ${EXACT_LABEL_BUDGET}); ` +
        `lower influence.fitDocuments or use "sampled"`,
    );
  }
  const { covariances, eigen, lambda, seconds } = fitFactorsExact(
    model,
    model.layers,
    sequences,
    influence.blocks,
  );
  await Deno.writeFile(
    join(ctx.outDir, "factors.safetensors"),
    encodeFactors({ covariances, eigen, lambda }, await provenanceOf(ctx, settings)),
  );
  // No labels were drawn: every position is −1 in both passes.
  const none = sequences.map((s) => new Int32Array(s.length).fill(-1));
  await Deno.writeFile(join(ctx.outDir, "fit_labels.safetensors"), fitLabelsFile(corpus, docs, none, none));
  return fittedSummary(empty, [...eigen.values()], "cpu-f64", seconds);
}
