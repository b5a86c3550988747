import type { Block, Section } from "../render/mod.ts";
import type { PlantedFactCheck } from "../analyses/mod.ts";

/** One setup's influence computation, as the report shows it. */
export interface InfluenceView {
  setup: string;
  strategy: string;
  damping: string;
  layers: number;
  fitTokens: number;
  fitSequences: number;
  eigen: { solver: string; maxOrthogonalityError: number; maxReconstructionError: number };
  queries: number;
  meanQueryNats: number;
  documents: number;
  scoreRange: number[];
  planted: PlantedFactCheck;
  /** The same check measured on the gold completions. */
  plantedGold: PlantedFactCheck;
  /** This run's GPU scores against the float64 CPU reference on a few (query, document) pairs. */
  reference: { pairs: number; pearson: number; maxRelativeError: number; maxNatsRelativeError: number };
}

/**
 * The report section on the influence computation of each setup: strategy and damping, what the
 * curvature was fitted on, how accurate the eigendecompositions were, and what was scored.
 *
 * @param views One per setup, in manifest order.
 * @param plantedUnavailable Why the planted-fact check cannot run (a corpus of one's own), or undefined.
 * @returns The section.
 */
export function influenceSection(views: InfluenceView[], plantedUnavailable?: string): Section {
  return {
    id: "influence",
    title: "Influence scores",
    blocks: [
      {
        kind: "paragraph",
        text: "Score I(q, x) = −∇f(q)ᵀ (G + λI)⁻¹ ∇L(x): positive means adding the document raises the log-" +
          "probability of the model's own completion (1.0 = +1 nat). f sums log-probabilities over completion " +
          "tokens (prompt masked); L sums the document's next-token cross-entropy. G is approximated per " +
          "tracked layer from labels sampled from the model.",
      },
      {
        kind: "table",
        caption: "Influence computation per setup. Eigen errors are the largest over all A and S factors: " +
          "max |QᵀQ − I| and max |QΛQᵀ − A| / max |A|.",
        columns: [
          { label: "setup", align: "left" },
          { label: "strategy", align: "left" },
          { label: "damping", align: "left" },
          { label: "tracked layers", format: { style: "integer" } },
          { label: "fit tokens", format: { style: "integer" } },
          { label: "fit sequences", format: { style: "integer" } },
          { label: "eigensolver", align: "left" },
          { label: "orthogonality error", format: { style: "exponential", digits: 1 } },
          { label: "reconstruction error", format: { style: "exponential", digits: 1 } },
          { label: "queries", format: { style: "integer" } },
          { label: "mean query nats", format: { style: "fixed", digits: 2 } },
          { label: "documents", format: { style: "integer" } },
          { label: "score range", align: "left" },
        ],
        rows: views.map((v) => [
          v.setup,
          v.strategy,
          v.damping,
          v.layers,
          v.fitTokens,
          v.fitSequences,
          v.eigen.solver,
          v.eigen.maxOrthogonalityError,
          v.eigen.maxReconstructionError,
          v.queries,
          v.meanQueryNats,
          v.documents,
          v.scoreRange.map((x) => x.toExponential(2)).join(" … "),
        ]),
      },
      {
        kind: "table",
        caption: "This run's GPU scores recomputed by the float64 CPU reference (query gradient, " +
          "preconditioning with the fitted factors, document gradient, dot product) on pairs spread over " +
          "the score matrix. Target: Pearson ≥ 0.9999.",
        columns: [
          { label: "setup", align: "left" },
          { label: "pairs", format: { style: "integer" } },
          { label: "Pearson r", format: { style: "fixed", digits: 8 } },
          { label: "max error ÷ max |score|", format: { style: "exponential", digits: 1 } },
          { label: "max nats error (relative)", format: { style: "exponential", digits: 1 } },
        ],
        rows: views.map((v) => [
          v.setup,
          v.reference.pairs,
          v.reference.pearson,
          v.reference.maxRelativeError,
          v.reference.maxNatsRelativeError,
        ]),
      },
      ...(plantedUnavailable === undefined ? [plantedTable(views)] : [{
        kind: "note" as const,
        tone: "warning" as const,
        text: `Planted-fact check: not available — ${plantedUnavailable}.`,
      }]),
    ],
  };
}

/** The planted-fact check per setup, on the model's own and on the gold completion. */
function plantedTable(views: InfluenceView[]): Block {
  return {
    kind: "table",
    caption: "Planted-fact check: factual queries whose fact is stated in 1-5 documents; do those " +
      "documents rank near the top (gradient-norm-normalised scores)? Measured on the model's own " +
      "completion and on the gold completion (which states the fact). Rank fraction 0.5 is chance.",
    columns: [
      { label: "setup", align: "left" },
      { label: "completion", align: "left" },
      { label: "queries", format: { style: "integer" } },
      { label: "k", format: { style: "integer" } },
      { label: "fact document in top k", format: { style: "percent", digits: 0 } },
      { label: "chance", format: { style: "percent", digits: 0 } },
      { label: "median rank fraction", format: { style: "fixed", digits: 3 } },
    ],
    rows: views.flatMap((v) =>
      ([["model's own", v.planted], ["gold", v.plantedGold]] as const).map(([label, c]) => [
        v.setup,
        label,
        c.queries,
        c.k,
        c.shareInTopK,
        c.chanceShareInTopK,
        c.medianRankFraction,
      ])
    ),
  };
}
