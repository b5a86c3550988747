import { join } from "node:path";
import { z } from "zod";
import { readCounterfactualViews } from "./counterfactual_report.ts";
import { writeReport } from "../../reports/render/mod.ts";
import {
  heldOutOf,
  type ProxyView,
  recallOf,
  trainingCurves,
  trainingDataOf,
} from "../../reports/sections/proxies_section.ts";
import type { WorldSummary } from "../../fixtures/world/mod.ts";
import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";
import { gatherProvenance, gitState, probeAdapter } from "../run/provenance.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import { modelSummarySchema } from "./model_stage.ts";
import { summaryOf } from "../run/summary_of.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { readSafetensors } from "../../engine/io/mod.ts";
import { type PlantedFactCheck, plantedFactCheck, stepDiagnostics } from "../../reports/analyses/mod.ts";
import type { Fact, Query, World } from "../../fixtures/world/mod.ts";
import { accuracyByMentions } from "../train/evaluate_proxy.ts";
import { factorsSummarySchema } from "./factors_stage.ts";
import { readFindings } from "./analyses_stage.ts";
import { validationSummarySchema } from "./validate_stage.ts";
import { queryGradientsSummarySchema } from "./query_gradients_stage.ts";
import { scoresSummarySchema } from "./scores_stage.ts";
import { queryPages } from "./query_pages.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import { composeReport } from "../../reports/compose/compose_report.ts";
import type { RunProvenance, RunSummary, SetupRun } from "../../reports/compose/run_summary.ts";
import { readArtifactJson, scoresFileSchema } from "../influence/artifact_files.ts";

/**
 * Stage `report`: assembles `report.json`, `report.md`, `report.html` and `charts/` from the finished
 * artifacts into `<outDir>/<experiment>/<runId>/`; {@link publishReport} copies it to the reports root.
 * The run id is the creation time plus the first 8 hex digits of the stage's key.
 */
export const reportStage: StageDef = {
  name: "report",
  version: 3,
  perSetup: false,
  deps: [
    "world",
    "tokenize",
    "model",
    "complete",
    "factors",
    "query_gradients",
    "scores",
    "validate",
    "analyses",
    "counterfactual",
  ],
  // The commit is part of the key so that the report's provenance always names the code that made it.
  settings: async (m) => ({ manifest: manifestSettings(m), report: m.report, git: await gitState() }),
  async run(ctx) {
    const createdAt = new Date().toISOString();
    const runId = `${createdAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${ctx.key.slice(0, 8)}`;
    const doc = composeReport(await runSummary(ctx, runId, createdAt));
    await writeReport(ctx.outDir, ctx.manifest.experiment, runId, doc);
    return { runId };
  },
};

function manifestSettings(m: ResolvedManifest): unknown {
  const { file: _file, ...rest } = m;
  return rest;
}

/**
 * The planted-fact check for one setup: factual queries whose fact is stated in 1-5 documents, ranked
 * by the gradient-norm-normalised scores (the paper's ranking view), measured on the model's own
 * completions and on the gold completions (rows `…#gold`), from one read of the scores.
 */
async function plantedFacts(
  ctx: StageContext,
  setup: string,
  world: Pick<World, "queries" | "facts">,
  k: number,
): Promise<{ own: PlantedFactCheck; gold: PlantedFactCheck }> {
  const dir = ctx.inputs[`scores@${setup}`].dir;
  const meta = await readArtifactJson(join(dir, "scores.json"), scoresFileSchema);
  const tensors = readSafetensors(await Deno.readFile(join(dir, "scores.safetensors"))).tensors;
  const scores = (tensors.get("norm_normalised") ?? tensors.get("scores"))!.data as Float32Array;
  const column = new Map(meta.documents.map((id, i) => [id, i]));
  const facts = new Map(world.facts.map((f) => [f.id, f]));
  const planted = world.queries.flatMap((q) => {
    const fact = q.set === "factual" && q.factId ? facts.get(q.factId) : undefined;
    if (!fact || fact.mentions < 1 || fact.mentions > 5) return [];
    return [{ queryId: q.id, factDocuments: fact.documentIds.map((d) => column.get(d)!) }];
  });
  // Rows `…#gold` measure the gold completion of the query whose id precedes the suffix.
  const own = new Map<string, number>(), gold = new Map<string, number>();
  meta.queries.forEach((id, i) =>
    id.endsWith("#gold") ? gold.set(id.slice(0, -"#gold".length), i) : own.set(id, i)
  );
  const check = (rows: Map<string, number>) =>
    plantedFactCheck(scores, meta.documents.length, rows, planted, k);
  return { own: check(own), gold: check(gold) };
}

/** The run summary the report is composed from: every figure read from the finished artifacts. */
async function runSummary(ctx: StageContext, runId: string, createdAt: string): Promise<RunSummary> {
  // With --setup, only the named setups have artifacts; the report covers those.
  const m = { ...ctx.manifest, setups: ctx.manifest.setups.filter((s) => ctx.inputs[`model@${s.name}`]) };
  const worldData = await readWorldArtifact(ctx.inputs.world.dir);
  // The run's own tokenizer shades the pages' tokens (a Hugging Face one for a user's checkpoints).
  const { tokenizer } = await runTokenizer(ctx.manifest);
  const pages = (await Promise.all(m.setups.map((s) =>
    queryPages(
      {
        setup: s.name,
        scoresDir: ctx.inputs[`scores@${s.name}`].dir,
        completeDir: ctx.inputs[`complete@${s.name}`].dir,
        tokenizer,
        ownCorpus: ctx.manifest.corpus !== undefined,
      },
      worldData,
      m.report.queryPages,
      m.report.documentsPerQuery,
    )
  ))).flat();
  const checks = await Promise.all(
    m.setups.map((s) => plantedFacts(ctx, s.name, worldData, m.analyses.answerSearchTopK)),
  );
  // gatherProvenance's record is report.json's (its kernel choices are the engine's KernelChoices).
  const provenance = await gatherProvenance(ctx.manifest, await probeAdapter()) as unknown as RunProvenance;
  const proxies = await Promise.all(
    m.setups.map((s) => proxyView(ctx, s, worldData.queries, worldData.facts)),
  );
  const setups = m.setups.map((s, i): SetupRun => {
    const input = (stage: string) => ctx.inputs[`${stage}@${s.name}`];
    return {
      name: s.name,
      model: s.model,
      // Every set of the manifest's own query file when none is named.
      querySets: s.everyQuerySet ? [...new Set(worldData.queries.map((q) => q.set as string))] : s.querySets,
      influence: s.influence,
      proxy: proxies[i],
      fit: summaryOf(input("factors"), factorsSummarySchema),
      queries: summaryOf(input("query_gradients"), queryGradientsSummarySchema),
      scores: summaryOf(input("scores"), scoresSummarySchema),
      reference: summaryOf(input("validate"), validationSummarySchema),
      planted: checks[i],
    };
  });
  return {
    experiment: m.experiment,
    description: m.description,
    title: m.report.title,
    runId,
    createdAt,
    provenance,
    world: ctx.inputs.world.meta.summary as WorldSummary,
    findings: await readFindings(ctx.inputs.analyses.dir),
    setups,
    queryPages: pages,
    counterfactual: await readCounterfactualViews(ctx, m.setups.map((s) => s.name)),
    stages: [...ctx.all].map(([name, a]) => ({ name, key: a.meta.key, seconds: a.meta.seconds })),
  };
}

async function proxyView(
  ctx: StageContext,
  setup: ResolvedSetup,
  queries: readonly Query[],
  facts: readonly Fact[],
): Promise<ProxyView> {
  const { name, description } = setup;
  const model = ctx.inputs[`model@${name}`];
  const complete = ctx.inputs[`complete@${name}`];
  const summary = summaryOf(model, modelSummarySchema);
  const training = (summary.training ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const completions = (await Deno.readTextFile(join(complete.dir, "completions.jsonl"))).split("\n")
    .filter((l) => l).map((l) => JSON.parse(l));
  const references = new Map(queries.map((q) => [q.id, q.completion]));
  const byId = new Map(queries.map((q) => [q.id, q]));
  const samples = [...new Set(completions.map((c) => c.set))].flatMap((set) =>
    completions.filter((c) => c.set === set).slice(0, 2)
  );
  return {
    name,
    description: description || `setup ${name}`,
    parameterCount: summary.parameterCount,
    checkpointSha256: summary.checkpointSha256,
    status: typeof training.status === "string" ? training.status : summary.source,
    trainingData: trainingDataOf(summary.source, summary.training, ctx.inputs.tokenize.meta.key),
    ...trainingCurves(summary.training),
    drills: summary.source === "trained"
      ? setup.training.arithmeticDrills
      : summary.training === null
      ? null
      : num((training.training as Record<string, unknown> | undefined)?.arithmeticDrills) ?? 0,
    step: num(training.step),
    steps: num(training.steps),
    loss: num(training.recentLoss),
    wallSeconds: num(training.wallSeconds),
    accuracy: (complete.meta.summary as { accuracy: ProxyView["accuracy"] }).accuracy,
    samples,
    heldOut: heldOutOf(summary.training),
    recall: recallOf(summary.training),
    factualByMentions: accuracyByMentions(
      completions.map((c: { id: string }) => byId.get(c.id)).filter((q: Query | undefined) =>
        q !== undefined
      ),
      completions.filter((c: { id: string }) => byId.has(c.id)),
      facts,
    ),
    stepDiagnostics: stepDiagnostics(
      completions.flatMap((c: { id: string; set: string; completion: string }) => {
        const reference = references.get(c.id);
        return reference === undefined ? [] : [{ set: c.set, completion: c.completion, reference }];
      }),
    ),
  };
}

/** What the report stage records: the run id its folder is named by. */
export const reportSummarySchema: z.ZodType<{ runId: string }, unknown> = z.looseObject({
  runId: z.string(),
});

/**
 * Directory of the report a finished report artifact holds.
 *
 * @param artifactDir The report stage's artifact folder.
 * @param experiment Experiment name.
 * @param runId Run id from the artifact's summary.
 * @returns `<artifactDir>/<experiment>/<runId>`.
 */
export function reportFolderIn(artifactDir: string, experiment: string, runId: string): string {
  return join(artifactDir, experiment, runId);
}
