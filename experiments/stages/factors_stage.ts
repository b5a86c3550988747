import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { writeSafetensors } from "../../engine/io/mod.ts";
import {
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  trackedLayerNames,
} from "../../engine/influence/mod.ts";
import { castParams } from "../../engine/model/mod.ts";
import {
  CovarianceAccumulator,
  eigendecomposeCovariancesGpu,
  LambdaAccumulator,
  type RecordBatch,
} from "../../engine/influence/gpu/mod.ts";
import { nextTokenLabels } from "../../engine/reference/cross_entropy.ts";
import { readTensors } from "../../engine/tensor.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import { UserError } from "../run/user_error.ts";
import { documentIds, uploadSequences } from "../influence/device_batch.ts";
import { encodeFactors } from "../influence/factors_file.ts";
import { fitDocuments } from "../influence/fit_documents.ts";
import { type InfluenceModel, readInfluenceModel } from "../influence/influence_model.ts";
import type { InfluenceSettings } from "../schema/influence_schema.ts";
import { readTokenizedCorpus, type TokenizedCorpus } from "./tokenize_stage.ts";
import type { ModelSummary } from "./model_stage.ts";
import { sha256Hex } from "../run/hash.ts";

/** Fit documents per forward/backward batch (part of the stage's settings: sampled labels depend on it). */
export const FIT_BATCH_DOCUMENTS = 8;

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
  /** Seconds of each phase. */
  seconds: { pass1: number; eigen: number; pass2: number };
}

/** The factor-relevant part of a setup's influence settings. */
function factorSettings(influence: InfluenceSettings & { seed: number }) {
  return {
    needed: influence.strategy !== "identity",
    trackedModules: influence.trackedModules,
    labels: influence.labels,
    fitDocuments: influence.fitDocuments,
    blocks: influence.blocks,
    eigensolver: influence.eigensolver,
    seed: influence.seed,
    batchDocuments: FIT_BATCH_DOCUMENTS,
  };
}

/**
 * Stage `factors` (per setup): EK-FAC's curvature (SCIENCE.md, steps 1-3). Pass 1 over the fit documents
 * with labels sampled from the model (Philox draw 0 with the influence seed; `empirical`: the documents'
 * next tokens) accumulates A and S (per-token averages, `blocks` diagonal blocks); they are
 * eigendecomposed in float64 on the CPU or by GPU Jacobi; pass 2 with fresh labels (draw 1) fits Λ and D
 * (per-sequence averages). Writes `factors.safetensors` (see `encodeFactors`) and `fit_labels.safetensors`
 * (`documents` I32 [F] fit-document indices, `offsets` I32 [F + 1], `pass1` and `pass2` I32 [tokens]: the
 * labels each pass used per document position, −1 at the last), so that any reference can be fed the same
 * labels. `labels: "exact"` fits with the exact expectation over the vocabulary on the float64 CPU
 * reference instead (micro models; see `fitExact`). The identity strategy needs no curvature: the stage
 * then writes an empty factors file.
 */
export const factorsStage: StageDef = {
  name: "factors",
  version: 4,
  perSetup: true,
  deps: ["tokenize", "model"],
  settings: (_m, setup) => factorSettings(setup!.influence),
  async run(ctx) {
    const influence = ctx.setup!.influence;
    const settings = factorSettings(influence);
    const model = await readInfluenceModel(ctx.inputs.model.dir, influence);
    const layers = model.layers.map(({ name, outDim, inDim }) => ({ name, outDim, inDim }));
    const empty: FactorsSummary = {
      fitted: false,
      tokens: 0,
      sequences: 0,
      eigen: { solver: "none", maxOrthogonalityError: 0, maxReconstructionError: 0, maxSweeps: 0 },
      layers,
      seconds: { pass1: 0, eigen: 0, pass2: 0 },
    };
    if (!settings.needed) {
      await Deno.writeFile(join(ctx.outDir, "factors.safetensors"), writeSafetensors({}));
      return empty;
    }
    const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
    // Fit documents by length, then index: batches of similar length waste few padded positions.
    const length = (d: number) => corpus.documents.offsets[d + 1] - corpus.documents.offsets[d];
    const docs = fitDocuments(corpus.documentIds.length, influence.fitDocuments, influence.seed)
      .sort((x, y) => length(x) - length(y) || x - y);
    if (influence.labels === "exact") return await fitExact(ctx, model, corpus, docs, settings, empty);
    const gpu = await acquireDevice();
    try {
      const llama = new GpuLlama(gpu, model.config, model.params);
      const names = model.layers.map((l) => l.name);
      const sampled = influence.labels === "sampled";
      const pass = async (draw: number, add: (batch: RecordBatch) => void, label: string) => {
        const progress = ctx.progress(label, docs.length);
        const used: Int32Array[] = [];
        let rowOffset = 0;
        for (let first = 0; first < docs.length; first += FIT_BATCH_DOCUMENTS) {
          const rows = docs.slice(first, first + FIT_BATCH_DOCUMENTS).map((d) =>
            documentIds(corpus.documents, d)
          );
          const batch = uploadSequences(gpu, rows, (b) => nextTokenLabels(rows[b], 1, rows[b].length));
          const out = llama.lossAndGradWithRecords(batch.batch, {
            layers: names,
            paramGrads: false,
            sample: sampled ? { seed: influence.seed, draw, rowOffset } : undefined,
          });
          add({ records: out.records, sequences: batch.sequences });
          const [labels] = await readTensors(out.labels);
          for (const { start, rows: length } of batch.sequences) {
            used.push((labels as Int32Array).slice(start, start + length));
          }
          rowOffset += batch.batch.batch * batch.batch.seqLen;
          batch.destroy();
          progress.tick(rows.length);
        }
        progress.done();
        return used;
      };
      let t0 = performance.now();
      const pass1 = new CovarianceAccumulator(gpu, model.layers, { blocks: influence.blocks });
      const labels1 = await pass(0, (b) => pass1.add(b), "pass 1 (A, S)");
      const covariances = await pass1.read();
      pass1.destroy();
      const seconds = { pass1: (performance.now() - t0) / 1000, eigen: 0, pass2: 0 };
      t0 = performance.now();
      const eigen = influence.eigensolver === "cpu-f64"
        ? eigendecomposeCovariances(covariances)
        : await eigendecomposeCovariancesGpu(gpu, covariances);
      seconds.eigen = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const pass2 = new LambdaAccumulator(gpu, model.layers, { bases: eigen });
      const labels2 = await pass(1, (b) => pass2.add(b), "pass 2 (Λ)");
      const lambda = await pass2.read();
      pass2.destroy();
      seconds.pass2 = (performance.now() - t0) / 1000;
      llama.destroy();
      await Deno.writeFile(
        join(ctx.outDir, "factors.safetensors"),
        encodeFactors({ covariances, eigen, lambda }, {
          modelSha256: (ctx.inputs.model.meta.summary as ModelSummary).checkpointSha256,
          tokenizerSha256: await sha256Hex(
            await Deno.readFile(join(ctx.inputs.tokenize.dir, "tokenizer.json")),
          ),
          settings: JSON.stringify(settings),
        }),
      );
      await Deno.writeFile(
        join(ctx.outDir, "fit_labels.safetensors"),
        fitLabelsFile(corpus, docs, labels1, labels2),
      );
      const accuracies = [...eigen.values()].flatMap((e) => [e.accuracy.a, e.accuracy.s]);
      const first = covariances.values().next().value!;
      const summary: FactorsSummary = {
        ...empty,
        fitted: true,
        tokens: first.tokens,
        sequences: first.sequences,
        eigen: {
          solver: influence.eigensolver,
          maxOrthogonalityError: Math.max(...accuracies.map((a) => a.orthogonalityError)),
          maxReconstructionError: Math.max(...accuracies.map((a) => a.reconstructionError)),
          maxSweeps: Math.max(...accuracies.map((a) => a.sweeps)),
        },
        seconds,
      };
      return summary;
    } finally {
      await gpu.destroy();
    }
  },
};

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
  docs: number[],
  settings: ReturnType<typeof factorSettings>,
  empty: FactorsSummary,
): Promise<FactorsSummary> {
  const influence = ctx.setup!.influence;
  const sequences = docs.map((d) => documentIds(corpus.documents, d));
  const positions = sequences.reduce((n, s) => n + s.length - 1, 0);
  const passes = positions * model.config.vocabSize;
  if (passes > EXACT_LABEL_BUDGET) {
    throw new UserError(
      `Setup ${ctx.setup!.name}: influence.labels "exact" needs ${positions} fit positions × ` +
        `${model.config.vocabSize} vocabulary entries = ${passes} backward passes (at most ${EXACT_LABEL_BUDGET}); ` +
        `lower influence.fitDocuments or use "sampled"`,
    );
  }
  const reference = { config: model.config, params: castParams(model.params, Float64Array) };
  const tracked = trackedLayerNames(model.config, influence.trackedModules);
  let t0 = performance.now();
  const covariances = fitCovariances(reference, sequences, "exact", tracked, { blocks: influence.blocks });
  const seconds = { pass1: (performance.now() - t0) / 1000, eigen: 0, pass2: 0 };
  t0 = performance.now();
  const eigen = eigendecomposeCovariances(covariances);
  seconds.eigen = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const lambda = fitLambda(reference, sequences, "exact", tracked, eigen);
  seconds.pass2 = (performance.now() - t0) / 1000;
  await Deno.writeFile(
    join(ctx.outDir, "factors.safetensors"),
    encodeFactors({ covariances, eigen, lambda }, {
      modelSha256: (ctx.inputs.model.meta.summary as ModelSummary).checkpointSha256,
      tokenizerSha256: await sha256Hex(await Deno.readFile(join(ctx.inputs.tokenize.dir, "tokenizer.json"))),
      settings: JSON.stringify(settings),
    }),
  );
  // No labels were drawn: every position is −1 in both passes.
  const none = sequences.map((s) => new Int32Array(s.length).fill(-1));
  await Deno.writeFile(join(ctx.outDir, "fit_labels.safetensors"), fitLabelsFile(corpus, docs, none, none));
  const accuracies = [...eigen.values()].flatMap((e) => [e.accuracy.a, e.accuracy.s]);
  const first = covariances.values().next().value!;
  return {
    ...empty,
    fitted: true,
    tokens: first.tokens,
    sequences: first.sequences,
    eigen: {
      solver: "cpu-f64",
      maxOrthogonalityError: Math.max(...accuracies.map((a) => a.orthogonalityError)),
      maxReconstructionError: Math.max(...accuracies.map((a) => a.reconstructionError)),
      maxSweeps: Math.max(...accuracies.map((a) => a.sweeps)),
    },
    seconds,
  };
}
