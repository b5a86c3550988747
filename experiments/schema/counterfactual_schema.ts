import { z } from "zod";

/**
 * Resolved settings of the counterfactual checks ({@linkcode counterfactualSchema}'s output; each field's
 * help is in the schema; docs/method.md, "Counterfactual checks").
 */
export interface CounterfactualSettings {
  /** Queries sampled from each query set of a setup (own-completion rows). */
  queries: number;
  /** Documents per top-k, bottom-k and random-k fine-tune. */
  k: number;
  /** Fine-tune protocol: plain gradient steps, or the proximal Bregman response function. */
  protocol: "gradient" | "pbrf";
  /** Gradient protocol: step size per nat of summed document loss. */
  lr: number;
  /** Gradient protocol: steps. */
  steps: number;
  /** PBRF: weight ε of the documents' summed loss. */
  epsilon: number;
  /** PBRF: heavy-ball iterations. */
  iterations: number;
  /** PBRF: scored documents the proximity (KL to the final model) is measured on. */
  fitSequences: number;
  /** LDS: random subsets (one fine-tune each). */
  ldsSubsets: number;
  /** LDS: share of the pool in each subset. */
  ldsFraction: number;
  /** LDS: size of the pool of scored documents the subsets are drawn from. */
  ldsDocuments: number;
  /** Seed of the query sample, the random documents and the subsets; null derives it from the root seed. */
  seed: number | null;
}

/** Whether two types are mutually assignable (a compile-time check of the schema's output). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const positiveInt = z.number().int().positive();

const counterfactualObject = z.object({
  queries: positiveInt.default(1).describe(
    "Queries sampled from each query set of a setup (own-completion rows); each gets its top-k, bottom-k, " +
      "random-k, identity top-k and lexical top-k fine-tunes.",
  ),
  k: positiveInt.default(10).describe("Documents per top-k, bottom-k and random-k fine-tune."),
  protocol: z.enum(["gradient", "pbrf"]).default("gradient").describe(
    'Fine-tune protocol: "gradient" (steps of plain gradient descent on the documents\' summed loss; ' +
      'linear regime, ranks the identity strategy first by construction) or "pbrf" (the proximal Bregman ' +
      "response function: KL to the final model + ε × document loss + damping; compares strategies).",
  ),
  lr: z.number().positive().default(1e-5).describe("Gradient protocol: step size per nat of summed loss."),
  steps: positiveInt.default(1).describe("Gradient protocol: steps."),
  epsilon: z.number().positive().default(1e-6).describe("PBRF: weight ε of the documents' summed loss."),
  iterations: positiveInt.default(150).describe("PBRF: heavy-ball iterations."),
  fitSequences: positiveInt.default(8).describe(
    "PBRF: scored documents (drawn with the seed) the KL to the final model is measured on.",
  ),
  ldsSubsets: z.number().int().min(3).default(16).describe("LDS: random subsets, one fine-tune each."),
  ldsFraction: z.number().gt(0).lt(1).default(0.1).describe("LDS: share of the pool in each subset."),
  ldsDocuments: positiveInt.default(200).describe(
    "LDS: pool of scored documents (drawn with the seed) the subsets are drawn from; every strategy " +
      "scores the pool for the sampled queries.",
  ),
  seed: z.number().int().min(0).nullable().default(null).describe(
    "Seed of the query sample, random documents and subsets; null derives it from the root seed and setup.",
  ),
}).strict();

/**
 * The counterfactual checks of the scores (docs/method.md, "Counterfactual checks"): fine-tunes from the
 * final weights on each sampled query's top, bottom and random documents, and the linear datamodeling
 * score per strategy. Absent from a manifest: the stage does not run.
 */
export const counterfactualSchema: z.ZodType<CounterfactualSettings> = counterfactualObject;
const _counterfactualMatches: SameType<z.output<typeof counterfactualObject>, CounterfactualSettings> = true;
