import type { Section } from "../render/mod.ts";
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
}

/**
 * The report section on the influence computation of each setup: strategy and damping, what the
 * curvature was fitted on, how accurate the eigendecompositions were, and what was scored.
 *
 * @param views One per setup, in manifest order.
 * @returns The section.
 */
export function influenceSection(views: InfluenceView[]): Section {
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
        caption: "Planted-fact check: factual queries whose fact is stated in 1-5 documents; do those " +
          "documents rank near the top (gradient-norm-normalised scores)? Rank fraction 0.5 is chance.",
        columns: [
          { label: "setup", align: "left" },
          { label: "queries", format: { style: "integer" } },
          { label: "k", format: { style: "integer" } },
          { label: "fact document in top k", format: { style: "percent", digits: 0 } },
          { label: "chance", format: { style: "percent", digits: 0 } },
          { label: "median rank fraction", format: { style: "fixed", digits: 3 } },
        ],
        rows: views.map((v) => [
          v.setup,
          v.planted.queries,
          v.planted.k,
          v.planted.shareInTopK,
          v.planted.chanceShareInTopK,
          v.planted.medianRankFraction,
        ]),
      },
    ],
  };
}
