/**
 * The procedural-knowledge report composed from a typed {@linkcode RunSummary}: `report.json` and the
 * sections of `report.md` / `report.html`. Pure: the report stage reads the artifacts, this builds the
 * document. The sections, in order, are listed once: {@linkcode REPORT_SECTIONS}.
 *
 * @module
 */

import {
  type AdapterKernels,
  REPORT_SCHEMA_VERSION,
  type ReportDocument,
  type Section,
} from "../render/mod.ts";
import { type FindingRow, findingRowsWithControls, findingsJson } from "../findings/findings_table.ts";
import type { Findings } from "../findings/compute_findings.ts";
import { worldSection } from "../sections/world_section.ts";
import { proxiesSection } from "../sections/proxies_section.ts";
import { influenceSection } from "../sections/influence_section.ts";
import { findingsSection } from "../sections/findings_section.ts";
import { f1Section } from "../sections/f1_section.ts";
import { f2Section } from "../sections/f2_section.ts";
import { f3Section, f4Section, f5Section } from "../sections/f3_f5_sections.ts";
import { queryPagesSection } from "../sections/query_pages_section.ts";
import { counterfactualSection } from "../sections/counterfactual_section.ts";
import { counterfactualValidation } from "./counterfactual_validation.ts";
import type { RunSummary, SetupRun } from "./run_summary.ts";

/** A run summary with what several sections share: the findings table and report.json's setups. */
export interface ComposedRun {
  /** The run. */
  run: RunSummary;
  /** The findings table, with the controls. */
  rows: FindingRow[];
  /** report.json's `setups`. */
  setups: Record<string, { description: string; parameterCount: number; [key: string]: unknown }>;
  /** Seconds per stage instance. */
  timings: Record<string, number>;
}

/**
 * The report's sections, in order: each builds one section from the composed run. A new section is
 * added here (and only here).
 */
export const REPORT_SECTIONS: readonly ((c: ComposedRun) => Section | null)[] = [
  overviewSection,
  (c) => findingsSection(c.rows, c.run.setups.map((s) => s.name), c.run.findings.setups),
  (c) => worldSection(c.run.world),
  (c) => proxiesSection(c.run.setups.map((s) => s.proxy)),
  (c) =>
    influenceSection(c.run.setups.map(influenceView), ownCorpus(c.run) ? PLANTED_UNAVAILABLE : undefined),
  (c) => f1Section(c.run.findings),
  (c) => f2Section(c.run.findings),
  (c) => f3Section(c.run.findings),
  (c) => f4Section(c.run.findings),
  (c) => f5Section(c.run.findings),
  (c) => c.run.counterfactual.length > 0 ? counterfactualSection(c.run.counterfactual) : null,
  (c) => queryPagesSection(c.run.queryPages),
  pipelineSection,
  provenanceSection,
];

/**
 * Composes the report document of a run.
 *
 * @param run The run summary.
 * @returns The document (report.json payload and sections).
 */
export function composeReport(run: RunSummary): ReportDocument {
  const rows = findingRowsWithControls(run.findings);
  const setups = Object.fromEntries(run.setups.map((s) => [s.name, setupJson(s, run.findings)]));
  const timings = Object.fromEntries(run.stages.map((s) => [s.name, s.seconds]));
  const strategies = [...new Set(run.setups.map((s) => s.influence.strategy))];
  const composed: ComposedRun = { run, rows, setups, timings };
  return {
    title: run.title,
    subtitle: `${run.experiment} · run ${run.runId}`,
    json: {
      schemaVersion: REPORT_SCHEMA_VERSION,
      experiment: run.experiment,
      runId: run.runId,
      createdAt: run.createdAt,
      provenance: run.provenance,
      timings,
      setups,
      influence: {
        strategy: strategies.length === 1 ? strategies[0] : "mixed",
        setups: Object.fromEntries(run.setups.map((s) => [s.name, s.influence])),
        results: Object.fromEntries(run.setups.map((s) => [s.name, influenceResult(s)])),
      },
      findings: findingsJson(rows),
      validation: {
        world: { queryLeaks: 0 },
        influence: Object.fromEntries(run.setups.map((s) => [s.name, s.fit.eigen])),
        ...(ownCorpus(run)
          ? { notAvailable: { plantedFacts: PLANTED_UNAVAILABLE, plantedFactsGold: PLANTED_UNAVAILABLE } }
          : {
            plantedFacts: Object.fromEntries(run.setups.map((s) => [s.name, s.planted.own])),
            plantedFactsGold: Object.fromEntries(run.setups.map((s) => [s.name, s.planted.gold])),
          }),
        gpuVsReference: Object.fromEntries(run.setups.map((s) => [s.name, s.reference])),
        tokenScores: Object.fromEntries(run.setups.map((s) => [s.name, s.scores.tokenSumDeviation ?? null])),
        ...counterfactualValidation(run.counterfactual),
      },
      world: run.world,
    },
    sections: REPORT_SECTIONS.map((section) => section(composed)).filter((s): s is Section => s !== null),
  };
}

/** Why the planted-fact check never runs on a corpus of one's own. */
export const PLANTED_UNAVAILABLE =
  "corpus.path has no planted facts (the check needs the documents known to state each queried fact)";

/** Whether the run scored the manifest's own corpus (`corpus.path`) rather than the synthetic world. */
export function ownCorpus(run: Pick<RunSummary, "world">): boolean {
  return (run.world as { corpus?: string }).corpus === "user";
}

/** The influence stages' figures for one setup: fit, eigendecomposition accuracy, queries, scores. */
function influenceResult(s: SetupRun) {
  return {
    fitted: s.fit.fitted,
    fitTokens: s.fit.tokens,
    fitSequences: s.fit.sequences,
    eigen: s.fit.eigen,
    layers: s.fit.layers.map((l) => `${l.name} [${l.outDim}, ${l.inDim}]`),
    queries: s.queries.queries,
    factualSelection: s.queries.factual,
    meanQueryNats: s.queries.meanNats,
    damping: s.queries.damping,
    documents: s.scores.documents,
    scoreRange: s.scores.scoreRange,
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

/** report.json's record of one setup. */
function setupJson(s: SetupRun, findings: Findings) {
  const p = s.proxy;
  return {
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
    model: s.model,
    querySets: s.querySets,
  };
}

function influenceView(s: SetupRun) {
  const r = influenceResult(s);
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
    planted: s.planted.own,
    plantedGold: s.planted.gold,
    reference: s.reference,
  };
}

function overviewSection({ run, setups }: ComposedRun): Section {
  return {
    id: "overview",
    title: "Overview",
    blocks: [
      { kind: "paragraph", text: run.description || run.experiment },
      ownCorpus(run)
        ? {
          kind: "note",
          tone: "warning",
          text: "Your own models, documents and queries (corpus.path, queries.path). Without the synthetic " +
            "world's ground truth, F1 and F2 run unchanged, F3 searches the answers' text, F4 needs " +
            "corpus.procedureKeywords for a set's procedure, F5 needs two or more sources in the `source` " +
            "field, and the planted-fact check never runs; a finding that cannot run says `not-available` " +
            "with its reason. Query sets are grouped by their `kind`" +
            (run.findings.setups[0]?.groups
              ? ` (${Object.entries(run.findings.setups[0].groups).map(([s, g]) => `${s}: ${g}`).join("; ")})`
              : "") +
            ". Read every finding against the models' accuracy: the paper studies models that solve its " +
            "reasoning tasks.",
        }
        : {
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
        rows: run.setups.map((s) => [
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

function pipelineSection({ run, timings }: ComposedRun): Section {
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
      rows: run.stages.map((s) => [s.name, s.key.slice(0, 12), timings[s.name]]),
    }],
  };
}

function provenanceSection({ run }: ComposedRun): Section {
  const provenance = run.provenance;
  return {
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
  };
}

/**
 * The engine's kernel choices in words.
 *
 * @param k The adapter's kernel choices, if recorded.
 * @returns "tiled GEMM 64×64×32/4×4, attention blocks of 64 rows", or "software (texture) GEMM, …".
 */
export function describeKernels(k: AdapterKernels | undefined): string {
  if (k === undefined) return "not recorded";
  const t = k.tiledConfig;
  const gemm = k.gemmFamily === "tiled"
    ? `tiled GEMM ${t.tileM}×${t.tileN}×${t.tileK}/${t.threadM}×${t.threadN}`
    : "software (texture) GEMM";
  return `${gemm}, attention blocks of ${k.attentionRows} rows`;
}
