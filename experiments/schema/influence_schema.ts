import { z } from "zod";
import type { DampingSetting, InfluenceStrategy } from "../../engine/influence/settings.ts";
import type { FisherLabels } from "../../engine/influence/pipeline/pipeline_settings.ts";

/** Linear modules whose weights influence can be tracked over, by their Hugging Face names. */
export const TRACKABLE_MODULES = [
  "gate_proj",
  "up_proj",
  "down_proj",
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
] as const;

/** A linear module influence can be tracked over, by its Hugging Face name. */
export type TrackableModule = typeof TRACKABLE_MODULES[number];

export type { FisherLabels };

/**
 * Resolved influence settings ({@linkcode influenceSchema}'s output; each field's help is in the schema;
 * docs/method.md, "EK-FAC, step by step").
 */
export interface InfluenceSettings {
  /** Preconditioner: EK-FAC, K-FAC, diagonal, or identity (plain dot product). */
  strategy: InfluenceStrategy;
  /** Linear modules of every block whose weights are tracked. */
  trackedModules: TrackableModule[];
  /** Damping λ added to the curvature. */
  damping: DampingSetting;
  /** Fisher labels. */
  labels: FisherLabels;
  /** Documents the factors are fitted on; null fits on every document. */
  fitDocuments: number | null;
  /** Which documents the factors are fitted on (absent: `"scored"`). */
  fitFrom?: "scored" | "unscored";
  /** Block-diagonal A and S: number of diagonal blocks. */
  blocks: 1 | 2 | 4;
  /** Eigendecomposition of A and S: float64 on the CPU, or the WGSL parallel Jacobi solver. */
  eigensolver: "cpu-f64" | "gpu-jacobi";
  /** Fit documents per part (a multiple of 8). */
  fitPartDocuments: number;
  /** Rank-k truncation of each preconditioned query gradient; null keeps full rank. */
  queryRank: number | null;
  /** Documents scored per resumable chunk. */
  scoreChunkDocuments: number;
  /** Per-token scores are stored for this many top documents of each query. */
  perTokenTopDocuments: number;
  /** Seed for sampled labels and fit-document choice; null derives it from the root seed and the setup. */
  seed: number | null;
}

/** Whether two types are mutually assignable (a compile-time check of the schema's output). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const dampingSchema = z.discriminatedUnion("mode", [
  z.object({
    mode: z.literal("heuristic"),
    factor: z.number().positive().default(0.1).describe("λ = factor × mean(Λ), per layer."),
  }).strict(),
  z.object({
    mode: z.literal("absolute"),
    value: z.number().positive().describe("λ, the same for every layer."),
  }).strict(),
]);

const influenceObject = z.object({
  strategy: z.enum(["ekfac", "kfac", "diagonal", "identity"]).default("ekfac").describe(
    "Preconditioner: EK-FAC, K-FAC (no eigenvalue correction), diagonal, or identity (plain dot product).",
  ),
  trackedModules: z.array(z.enum(TRACKABLE_MODULES)).min(1).default(["gate_proj", "up_proj", "down_proj"])
    .describe("Linear modules of every block whose weights are tracked (the paper: the MLP)."),
  damping: dampingSchema.prefault({ mode: "heuristic" }).describe("Damping λ added to the curvature."),
  labels: z.enum(["sampled", "empirical", "exact"]).default("sampled").describe(
    "Fisher labels: sampled from the model (true Fisher), the data's own (empirical), or the exact expectation.",
  ),
  fitDocuments: z.number().int().positive().nullable().default(null).describe(
    "Documents the factors are fitted on, drawn with the influence seed; null fits on every document.",
  ),
  fitFrom: z.enum(["scored", "unscored"]).optional().describe(
    'Which documents the factors are fitted on: "scored" (default: a sample of the scored corpus) or ' +
      '"unscored" (a sample of the rest of pretraining, disjoint from the scored corpus; with world.layout ' +
      '"stream" both are samples of the same stream, so the curvature is fitted on what the model trained ' +
      "on without reusing the documents it scores).",
  ),
  blocks: z.union([z.literal(1), z.literal(2), z.literal(4)]).default(1).describe(
    "Block-diagonal A and S: number of diagonal blocks (the paper: 2 for 7B, 4 for 35B).",
  ),
  eigensolver: z.enum(["cpu-f64", "gpu-jacobi"]).default("cpu-f64").describe(
    "Eigendecomposition of A and S: float64 on the CPU, or the WGSL parallel Jacobi solver.",
  ),
  fitPartDocuments: z.number().int().positive().multipleOf(8).default(128).describe(
    "Fit documents per part (a multiple of the 8 per batch): each part's sums are read back on their own, " +
      "summed in float64 in fit order, and sharded whole, so a sharded fit equals an unsharded one.",
  ),
  queryRank: z.number().int().positive().nullable().default(null).describe(
    "Keep a rank-k SVD of each preconditioned query gradient; null keeps full rank.",
  ),
  scoreChunkDocuments: z.number().int().positive().default(256).describe(
    "Documents scored per resumable chunk.",
  ),
  perTokenTopDocuments: z.number().int().min(0).default(5).describe(
    "Per-token scores are stored for this many top documents of each query.",
  ),
  seed: z.number().int().min(0).nullable().default(null).describe(
    "Seed for sampled labels and fit-document choice; null derives it from the root seed and the setup name.",
  ),
}).strict();

/**
 * Every numerical setting of the influence computation (docs/method.md, "EK-FAC, step by step"). Recorded
 * with every artifact it produces and in the report.
 */
export const influenceSchema: z.ZodType<InfluenceSettings> = influenceObject;
const _influenceMatches: SameType<z.output<typeof influenceObject>, InfluenceSettings> = true;
