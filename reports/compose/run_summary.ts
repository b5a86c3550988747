/**
 * The typed summary of a finished run that the procedural-knowledge report is composed from: what the
 * stages measured, read from their artifacts by the report stage (`experiments/stages/report_stage.ts`).
 *
 * @module
 */

import type { PlantedFactCheck } from "../analyses/mod.ts";
import type { Findings } from "../findings/compute_findings.ts";
import type { AdapterRecord, Provenance } from "../render/mod.ts";
import type { ProxyView } from "../sections/proxies_section.ts";
import type { QueryPage } from "../sections/query_pages_section.ts";
import type { CounterfactualView } from "../sections/counterfactual_section.ts";
import type { WorldSummary } from "../../fixtures/world/mod.ts";

/** What the fit of a setup's curvature recorded (the factors stage's summary). */
export interface FitRecord {
  /** False when the strategy needs no curvature and nothing was fitted. */
  fitted: boolean;
  /** Fit tokens (positions with a loss term). */
  tokens: number;
  /** Fit sequences. */
  sequences: number;
  /** Largest orthogonality and reconstruction errors of the eigendecompositions over all A and S. */
  eigen: { solver: string; maxOrthogonalityError: number; maxReconstructionError: number; maxSweeps: number };
  /** Tracked layers: name and [out, in]. */
  layers: { name: string; outDim: number; inDim: number }[];
}

/** What the query gradients of a setup recorded (the query_gradients stage's summary). */
export interface QueryRecord {
  /** Query rows. */
  queries: number;
  /** Mean −log p(completion | prompt), nats. */
  meanNats: number;
  /** How the factual queries were chosen. */
  factual: unknown;
  /** λ per tracked layer. */
  damping: Record<string, number>;
}

/** What the scoring of a setup recorded (the scores stage's summary). */
export interface ScoresRecord {
  /** Documents scored. */
  documents: number;
  /** Smallest and largest raw score. */
  scoreRange: number[];
  /** Largest |Σ per-token scores − score| relative to max |score|, when per-token scores were computed. */
  tokenSumDeviation?: number;
}

/**
 * This run's GPU scores against the float64 CPU reference (the validate stage's summary; report.json
 * copies the whole record, fields beyond these included).
 */
export interface ReferenceRecord {
  /** (query, document) pairs recomputed. */
  pairs: number;
  /** Pearson r between the GPU scores and the reference. */
  pearson: number;
  /** max |GPU − reference| ÷ max |reference|. */
  maxRelativeError: number;
  /** Largest relative error of the query nats. */
  maxNatsRelativeError: number;
}

/** One setup of the run. */
export interface SetupRun {
  /** The setup's name. */
  name: string;
  /** Its model settings as resolved (copied whole to report.json; `layers` and `hiddenSize` are shown). */
  model: { layers: number; hiddenSize: number };
  /** Its query sets. */
  querySets: string[];
  /** Its influence settings as resolved (copied whole to report.json). */
  influence: {
    strategy: string;
    damping: { mode: "heuristic"; factor: number } | { mode: "absolute"; value: number };
  };
  /** The proxy: model, training and accuracy. */
  proxy: ProxyView;
  /** The curvature fit. */
  fit: FitRecord;
  /** The query gradients. */
  queries: QueryRecord;
  /** The scores. */
  scores: ScoresRecord;
  /** The check against the float64 reference. */
  reference: ReferenceRecord;
  /** The planted-fact check on the model's own completions and on the gold ones. */
  planted: { own: PlantedFactCheck; gold: PlantedFactCheck };
}

/** A stage of the run as the pipeline table lists it. */
export interface StageRun {
  /** Instance name (`scores@7B`). */
  name: string;
  /** Its cache key (sha256 hex). */
  key: string;
  /** Seconds it took when it was computed. */
  seconds: number;
}

/** Provenance as the report stage gathers it: report.json's record plus the manifest file and overrides. */
export interface RunProvenance extends Provenance {
  /** The manifest file. */
  manifestFile: string;
  /** The `--set` overrides. */
  overrides: string[];
  /** The adapter, or null. */
  adapter: AdapterRecord | null;
}

/** Everything the procedural-knowledge report shows, for {@linkcode composeReport}. */
export interface RunSummary {
  /** The experiment's name. */
  experiment: string;
  /** Its description (the overview's first paragraph; the name when empty). */
  description: string;
  /** The report's title. */
  title: string;
  /** The run's id. */
  runId: string;
  /** When the report was made (ISO 8601). */
  createdAt: string;
  /** Where the numbers came from. */
  provenance: RunProvenance;
  /** The world's summary. */
  world: WorldSummary;
  /** The findings. */
  findings: Findings;
  /** The setups, in manifest order. */
  setups: SetupRun[];
  /** The query pages. */
  queryPages: QueryPage[];
  /** The counterfactual checks of the setups that ran them (empty when none did). */
  counterfactual: CounterfactualView[];
  /** Every stage of the run, in run order. */
  stages: StageRun[];
}
