import { join } from "node:path";
import { z } from "zod";
import { jsonNumber } from "../run/summary_of.ts";
import { readSafetensors } from "../../engine/io/mod.ts";
import {
  documentGradient,
  influenceScore,
  preconditionGradient,
  queryGradient,
  resolveDamping,
  trackedLayerNames,
} from "../../engine/influence/mod.ts";
import { castParams } from "../../engine/model/mod.ts";
import { sampleCorrelation } from "simple-statistics";
import type { StageDef } from "../run/stage.ts";
import { documentIds } from "../influence/device_batch.ts";
import { readAllFactors } from "../influence/module_files.ts";
import { readInfluenceModel } from "../influence/influence_model.ts";
import { readCompletions } from "../influence/select_queries.ts";
import { readTokenizedCorpus } from "./tokenize_stage.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import { readArtifactJson, scoresFileSchema } from "../influence/artifact_files.ts";

/** Query rows and documents the float64 reference recomputes per run (spread over rows and columns). */
export const VALIDATE_QUERIES = 4;
export const VALIDATE_DOCUMENTS = 8;

/** {@linkcode ValidationSummary} as read back from meta.json (NaN correlations were written as null). */
export const validationSummarySchema: z.ZodType<ValidationSummary, unknown> = z.looseObject({
  pairs: z.number(),
  pearson: jsonNumber,
  maxRelativeError: jsonNumber,
  maxNatsRelativeError: jsonNumber,
  queries: z.array(z.string()),
  documents: z.array(z.string()),
  identity: z.looseObject({ pearson: jsonNumber, maxRelativeError: jsonNumber }).optional(),
});

/** What the validate stage measures. */
export interface ValidationSummary {
  /** (query, document) pairs recomputed. */
  pairs: number;
  /** Pearson r between the stored GPU scores and the float64 reference (1 = identical up to scale). */
  pearson: number;
  /** max |GPU − reference| ÷ max |reference| over the pairs. */
  maxRelativeError: number;
  /** Largest relative error of the query nats. */
  maxNatsRelativeError: number;
  queries: string[];
  documents: string[];
  /**
   * The identity control's scores (plain gradient dot product, formed in the scores pass) against the
   * float64 reference on the same pairs; absent when the run has no identity control rows.
   */
  identity?: { pearson: number; maxRelativeError: number };
}

/**
 * Stage `validate` (per setup): recomputes a few scores of this run with the float64 CPU reference —
 * query gradients of the model's own (or gold) completions, preconditioning with the run's fitted
 * factors (decoded in float64, same damping rule), document gradients, dot products — and compares
 * them with the stored GPU scores. (That the GPU fit equals the reference fit fed the same sampled
 * labels is checked by the test suite; here the run's own numbers are checked end to end after the fit.)
 */
export const validateStage: StageDef = {
  name: "validate",
  version: 3,
  perSetup: true,
  deps: ["tokenize", "world", "model", "complete", "factors", "scores"],
  settings: () => ({ queries: VALIDATE_QUERIES, documents: VALIDATE_DOCUMENTS }),
  async run(ctx) {
    const influence = ctx.setup!.influence;
    const model = await readInfluenceModel(ctx.inputs.model.dir, influence);
    const reference = { config: model.config, params: castParams(model.params, Float64Array) };
    const tracked = trackedLayerNames(model.config, influence.trackedModules);
    const corpus = await readTokenizedCorpus(ctx.inputs.tokenize.dir);
    const world = await readWorldArtifact(ctx.inputs.world.dir);
    const own = new Map(
      (await readCompletions(join(ctx.inputs.complete.dir, "completions.jsonl"))).map((c) => [c.id, c]),
    );
    const gold = new Map(world.queries.map((q) => [q.id, q]));
    const sdir = ctx.inputs.scores.dir;
    const meta = await readArtifactJson(join(sdir, "scores.json"), scoresFileSchema);
    const scoreFile = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors")));
    const scores = scoreFile.tensors.get("scores")!.data as Float32Array;
    const identity = scoreFile.tensors.get("identity")?.data as Float32Array | undefined;
    const nq = meta.queries.length, nd = corpus.documentIds.length;
    const spread = (
      n: number,
      total: number,
    ) => [
      ...new Set(
        Array.from({ length: Math.min(n, total) }, (_, i) => Math.floor((i * total) / Math.min(n, total))),
      ),
    ];
    const rows = spread(VALIDATE_QUERIES, nq), columns = spread(VALIDATE_DOCUMENTS, nd);
    const factors = influence.strategy === "identity"
      ? { eigen: new Map(), lambda: new Map() }
      : await readAllFactors(ctx.inputs.factors.dir, model.layers);
    const damping = resolveDamping(influence.strategy, influence.damping, factors);
    const tok = (await runTokenizer(ctx.manifest)).tokenizer;
    const docGrads = columns.map((d) =>
      documentGradient(reference, documentIds(corpus.documents, d), tracked).gradient
    );
    const got: number[] = [], want: number[] = [];
    const gotIdentity: number[] = [], wantIdentity: number[] = [];
    let natsError = 0;
    for (const q of rows) {
      const id = meta.queries[q];
      const isGold = id.endsWith("#gold");
      const query = isGold ? gold.get(id.slice(0, -5))! : own.get(id)!;
      const v = queryGradient(
        reference,
        tok.encode(query.prompt, { bos: true }),
        tok.encode(query.completion, { eos: true }),
        tracked,
      );
      natsError = Math.max(natsError, Math.abs(v.nats - meta.nats[q]) / Math.max(v.nats, 1e-12));
      const p = preconditionGradient(influence.strategy, model.layers, v.gradient, factors, damping, {
        rank: influence.queryRank,
      });
      columns.forEach((d, k) => {
        got.push(scores[q * nd + d]);
        want.push(influenceScore(p, docGrads[k]).score);
        // The identity control has the own-completion rows only, which come first.
        if (identity && (q + 1) * nd <= identity.length) {
          gotIdentity.push(identity[q * nd + d]);
          wantIdentity.push(influenceScore(v.gradient, docGrads[k]).score);
        }
      });
    }
    const compare = (g: number[], w: number[]) => ({
      pearson: g.length > 1 ? sampleCorrelation(g, w) : NaN,
      maxRelativeError: Math.max(...g.map((x, i) => Math.abs(x - w[i]))) / Math.max(...w.map(Math.abs)),
    });
    const summary: ValidationSummary = {
      pairs: got.length,
      ...compare(got, want),
      maxNatsRelativeError: natsError,
      queries: rows.map((q) => meta.queries[q]),
      documents: columns.map((d) => corpus.documentIds[d]),
      ...(identity ? { identity: compare(gotIdentity, wantIdentity) } : {}),
    };
    ctx.log(
      `GPU vs float64 reference: Pearson ${summary.pearson.toFixed(8)}, max error ${
        summary.maxRelativeError.toExponential(2)
      }${
        summary.identity
          ? `; identity control: Pearson ${summary.identity.pearson.toFixed(8)}, max error ${
            summary.identity.maxRelativeError.toExponential(2)
          }`
          : ""
      }`,
    );
    return summary;
  },
};
