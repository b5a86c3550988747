import { join } from "node:path";
import { counterfactualReport } from "./counterfactual_report.ts";
import {
  REPORT_SCHEMA_VERSION,
  type ReportDocument,
  type Section,
  writeReport,
} from "../../reports/render/mod.ts";
import { worldSection } from "../../reports/sections/world_section.ts";
import {
  heldOutOf,
  proxiesSection,
  type ProxyView,
  trainingCurves,
  trainingDataOf,
} from "../../reports/sections/proxies_section.ts";
import { influenceSection } from "../../reports/sections/influence_section.ts";
import type { WorldSummary } from "../../fixtures/world/mod.ts";
import type { ResolvedManifest, ResolvedSetup } from "../manifest/load_manifest.ts";
import { gatherProvenance, gitState, probeAdapter } from "../run/provenance.ts";
import type { KernelChoices } from "../../engine/mod.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import type { ModelSummary } from "./model_stage.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { readSafetensors } from "../../engine/io/mod.ts";
import { type PlantedFactCheck, plantedFactCheck, stepDiagnostics } from "../../reports/analyses/mod.ts";
import type { Fact, Query, World } from "../../fixtures/world/mod.ts";
import { accuracyByMentions } from "../train/evaluate_proxy.ts";
import type { FactorsSummary } from "./factors_stage.ts";
import { readFindings } from "./analyses_stage.ts";
import type { Findings } from "../../reports/findings/compute_findings.ts";
import type { ValidationSummary } from "./validate_stage.ts";
import { queryPages } from "./query_pages.ts";
import { runTokenizer } from "./run_tokenizer.ts";
import { findingRowsWithControls, findingsJson } from "../../reports/findings/findings_table.ts";
import { findingsSection } from "../../reports/sections/findings_section.ts";
import { f1Section } from "../../reports/sections/f1_section.ts";
import { f2Section } from "../../reports/sections/f2_section.ts";
import { f3Section, f4Section, f5Section } from "../../reports/sections/f3_f5_sections.ts";
import { queryPagesSection } from "../../reports/sections/query_pages_section.ts";

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
    const doc = await buildReport(ctx, runId, createdAt);
    await writeReport(ctx.outDir, ctx.manifest.experiment, runId, doc);
    return { runId };
  },
};

/** The influence stages' figures for one setup: fit, eigendecomposition accuracy, queries, scores. */
function influenceResult(ctx: StageContext, setup: string) {
  const factors = ctx.inputs[`factors@${setup}`].meta.summary as FactorsSummary;
  const queries = ctx.inputs[`query_gradients@${setup}`].meta.summary as {
    queries: number;
    meanNats: number;
    factual: unknown;
    damping: Record<string, number>;
  };
  const scores = ctx.inputs[`scores@${setup}`].meta.summary as { documents: number; scoreRange: number[] };
  return {
    fitted: factors.fitted,
    fitTokens: factors.tokens,
    fitSequences: factors.sequences,
    eigen: factors.eigen,
    layers: factors.layers.map((l) => `${l.name} [${l.outDim}, ${l.inDim}]`),
    queries: queries.queries,
    factualSelection: queries.factual,
    meanQueryNats: queries.meanNats,
    damping: queries.damping,
    documents: scores.documents,
    scoreRange: scores.scoreRange,
  };
}

/** A setup's applicability gates and factual draw for report.json (NaN shares written as null). */
function gatesOf(findings: Findings, setup: string) {
  const s = findings.setups.find((x) => x.setup === setup);
  if (!s?.gates) return {};
  const gates = Object.fromEntries(
    Object.entries(s.gates).map(([set, g]) => [set, {
      ...g,
      accuracy: Number.isFinite(g.accuracy) ? g.accuracy : null,
      distinctShare: Number.isFinite(g.distinctShare) ? g.distinctShare : null,
    }]),
  );
  return { gates, factualDraw: s.factualDraw ? { ...s.factualDraw } : null };
}

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
  const meta = JSON.parse(await Deno.readTextFile(join(dir, "scores.json"))) as {
    queries: string[];
    documents: string[];
  };
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

async function buildReport(ctx: StageContext, runId: string, createdAt: string): Promise<ReportDocument> {
  // With --setup, only the named setups have artifacts; the report covers those.
  const m = { ...ctx.manifest, setups: ctx.manifest.setups.filter((s) => ctx.inputs[`model@${s.name}`]) };
  const world = ctx.inputs.world.meta.summary as WorldSummary;
  const worldData = await readWorldArtifact(ctx.inputs.world.dir);
  const findings = await readFindings(ctx.inputs.analyses.dir);
  const rows = findingRowsWithControls(findings);
  const counterfactual = await counterfactualReport(ctx, m.setups.map((s) => s.name));
  // The run's own tokenizer shades the pages' tokens (a Hugging Face one for a user's checkpoints).
  const { tokenizer } = await runTokenizer(ctx.manifest);
  const pages = (await Promise.all(m.setups.map((s) =>
    queryPages(
      {
        setup: s.name,
        scoresDir: ctx.inputs[`scores@${s.name}`].dir,
        completeDir: ctx.inputs[`complete@${s.name}`].dir,
        tokenizer,
      },
      worldData,
      m.report.queryPages,
      m.report.documentsPerQuery,
    )
  ))).flat();
  const checks = await Promise.all(
    m.setups.map((s) => plantedFacts(ctx, s.name, worldData, m.analyses.answerSearchTopK)),
  );
  const planted = Object.fromEntries(m.setups.map((s, i) => [s.name, checks[i].own]));
  const plantedGold = Object.fromEntries(m.setups.map((s, i) => [s.name, checks[i].gold]));
  const provenance = await gatherProvenance(ctx.manifest, await probeAdapter());
  const proxies = await Promise.all(
    m.setups.map((s) => proxyView(ctx, s, worldData.queries, worldData.facts)),
  );
  const setups = Object.fromEntries(proxies.map((p) => [p.name, {
    description: p.description,
    parameterCount: p.parameterCount,
    checkpointSha256: p.checkpointSha256,
    accuracy: Object.fromEntries(Object.entries(p.accuracy).map(([set, a]) => [set, a.accuracy])),
    counts: p.accuracy,
    stepDiagnostics: p.stepDiagnostics,
    ...gatesOf(findings, p.name),
    heldOut: p.heldOut,
    factualByMentions: p.factualByMentions,
    training: {
      status: p.status,
      trainedOn: p.trainingData,
      arithmeticDrills: p.drills,
      step: p.step,
      steps: p.steps,
      loss: p.loss,
      wallSeconds: p.wallSeconds,
    },
    model: m.setups.find((s) => s.name === p.name)!.model,
    querySets: m.setups.find((s) => s.name === p.name)!.querySets,
  }]));
  const timings = Object.fromEntries([...ctx.all].map(([name, a]) => [name, a.meta.seconds]));
  const strategies = [...new Set(m.setups.map((s) => s.influence.strategy))];
  return {
    title: m.report.title,
    subtitle: `${m.experiment} · run ${runId}`,
    json: {
      schemaVersion: REPORT_SCHEMA_VERSION,
      experiment: m.experiment,
      runId,
      createdAt,
      provenance: provenance as unknown as ReportDocument["json"]["provenance"],
      timings,
      setups,
      influence: {
        strategy: strategies.length === 1 ? strategies[0] : "mixed",
        setups: Object.fromEntries(m.setups.map((s) => [s.name, s.influence])),
        results: Object.fromEntries(m.setups.map((s) => [s.name, influenceResult(ctx, s.name)])),
      },
      findings: findingsJson(rows),
      validation: {
        world: { queryLeaks: 0 },
        influence: Object.fromEntries(m.setups.map((s) => [s.name, influenceResult(ctx, s.name).eigen])),
        plantedFacts: planted,
        plantedFactsGold: plantedGold,
        gpuVsReference: Object.fromEntries(
          m.setups.map((s) => [s.name, ctx.inputs[`validate@${s.name}`].meta.summary as ValidationSummary]),
        ),
        tokenScores: Object.fromEntries(m.setups.map((s) => [
          s.name,
          (ctx.inputs[`scores@${s.name}`].meta.summary as { tokenSumDeviation?: number }).tokenSumDeviation ??
            null,
        ])),
        ...counterfactual.validation,
      },
      world,
    },
    sections: [
      overviewSection(m, setups),
      findingsSection(rows, m.setups.map((s) => s.name), findings.setups),
      worldSection(world),
      proxiesSection(proxies),
      influenceSection(m.setups.map((s) => {
        const r = influenceResult(ctx, s.name);
        const d = s.influence.damping;
        return {
          setup: s.name,
          strategy: s.influence.strategy,
          damping: d.mode === "heuristic" ? `${d.factor} × mean eigenvalue` : `${d.value} (absolute)`,
          layers: r.layers.length,
          fitTokens: r.fitTokens,
          fitSequences: r.fitSequences,
          eigen: r.eigen,
          queries: r.queries,
          meanQueryNats: r.meanQueryNats,
          documents: r.documents,
          scoreRange: r.scoreRange,
          planted: planted[s.name],
          plantedGold: plantedGold[s.name],
          reference: ctx.inputs[`validate@${s.name}`].meta.summary as ValidationSummary,
        };
      })),
      f1Section(findings),
      f2Section(findings),
      f3Section(findings),
      f4Section(findings),
      f5Section(findings),
      ...(counterfactual.section ? [counterfactual.section] : []),
      queryPagesSection(pages),
      pipelineSection(ctx, timings),
      {
        id: "provenance",
        title: "Provenance",
        blocks: [{
          kind: "keyValue",
          pairs: [
            { key: "manifest", value: provenance.manifestFile },
            { key: "manifest sha256", value: provenance.manifestSha256 },
            { key: "overrides", value: provenance.overrides.join(" ") || "none" },
            { key: "git commit", value: provenance.git.commit },
            { key: "working tree dirty", value: provenance.git.dirty },
            { key: "Deno", value: provenance.deno },
            { key: "deno.lock sha256", value: provenance.lockfileSha256 },
            { key: "OS", value: provenance.os },
            { key: "CPUs", value: provenance.cpuCount },
            { key: "WebGPU adapter", value: provenance.adapter?.description ?? "none" },
            { key: "kernels", value: describeKernels(provenance.adapter?.kernels) },
            { key: "root seed", value: provenance.rootSeed },
          ],
        }],
      },
    ],
  };
}

/** "tiled GEMM 64×64×32/4×4, attention blocks of 64 rows", or "software GEMM, …". */
function describeKernels(k: KernelChoices | undefined): string {
  if (k === undefined) return "not recorded";
  const t = k.tiledConfig;
  const gemm = k.gemmFamily === "tiled"
    ? `tiled GEMM ${t.tileM}×${t.tileN}×${t.tileK}/${t.threadM}×${t.threadN}`
    : "software (texture) GEMM";
  return `${gemm}, attention blocks of ${k.attentionRows} rows`;
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
  const summary = model.meta.summary as ModelSummary;
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

function overviewSection(
  m: ResolvedManifest,
  setups: Record<string, { description: string; parameterCount: number }>,
): Section {
  return {
    id: "overview",
    title: "Overview",
    blocks: [
      { kind: "paragraph", text: m.description || m.experiment },
      {
        kind: "note",
        tone: "warning",
        text: "The setups named 7B and 35B are proxies: small Llama-architecture models trained on the " +
          "synthetic world, not Command R. Read every finding against the proxies' accuracy (section " +
          "“The proxies”): the paper studies models that solve its reasoning tasks.",
      },
      {
        kind: "table",
        caption: "The compared setups.",
        columns: [
          { label: "setup", align: "left" },
          { label: "what it is", align: "left" },
          { label: "parameters", format: { style: "integer" } },
          { label: "layers × width", align: "left" },
          { label: "query sets", align: "left" },
        ],
        rows: m.setups.map((s) => [
          s.name,
          setups[s.name].description,
          setups[s.name].parameterCount,
          `${s.model.layers} × ${s.model.hiddenSize}`,
          s.querySets.join(", "),
        ]),
      },
    ],
  };
}

function pipelineSection(ctx: StageContext, timings: Record<string, number>): Section {
  return {
    id: "pipeline",
    title: "Pipeline",
    blocks: [{
      kind: "table",
      caption: "Stages of this run: cache key and the seconds each took when it was computed.",
      columns: [
        { label: "stage", align: "left" },
        { label: "key", align: "left" },
        { label: "seconds", format: { style: "fixed", digits: 2 } },
      ],
      rows: [...ctx.all].map(([name, a]) => [name, a.meta.key.slice(0, 12), timings[name]]),
    }],
  };
}

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
