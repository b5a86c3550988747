import { z } from "zod";

const positiveInt = z.number().int().positive();

/** Resolved model shape ({@linkcode modelSchema}'s output; each field's help is in the schema). */
export interface ModelSettings {
  /** Residual width (hidden_size). */
  hiddenSize: number;
  /** SwiGLU MLP width (intermediate_size). */
  intermediateSize: number;
  /** Decoder blocks (num_hidden_layers). */
  layers: number;
  /** Attention heads (num_attention_heads). */
  heads: number;
  /** Key/value heads (num_key_value_heads). */
  kvHeads: number;
  /** Longest sequence in tokens, BOS and EOS included (max_position_embeddings). */
  contextLength: number;
  /** Rotary embedding base (rope_theta). */
  ropeTheta: number;
  /** RMSNorm epsilon (rms_norm_eps). */
  rmsNormEps: number;
  /** Share the input embedding with the output head (tie_word_embeddings). */
  tieEmbeddings: boolean;
}

/** Resolved training settings ({@linkcode trainingSchema}'s output; each field's help is in the schema). */
export interface TrainingSettings {
  /** Optimiser steps. */
  steps: number;
  /** Sequences per step. */
  batchSize: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Cosine decay floor, as a fraction of the peak learning rate. */
  minLearningRateRatio: number;
  /** Linear warm-up steps. */
  warmupSteps: number;
  /** Decoupled AdamW weight decay (not on norms). */
  weightDecay: number;
  /** AdamW first-moment decay. */
  beta1: number;
  /** AdamW second-moment decay. */
  beta2: number;
  /** Global gradient-norm clip. */
  gradClip: number;
  /** Steps between resumable training checkpoints. */
  checkpointEvery: number;
  /** Times each scored document appears per epoch. */
  scoredRepeats: number;
  /** Seed for initialisation and data order; null derives it from the root seed and the setup name. */
  seed: number | null;
  /** Fraction of the training documents that are arithmetic drill sheets. */
  arithmeticDrills: number;
  /** Length bucketing: windows of lengthBuckets × batchSize documents sorted by length. */
  lengthBuckets: number;
}

/** Whether two types are mutually assignable (a compile-time check of the schemas' outputs). */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const modelObject = z.object({
  hiddenSize: positiveInt.default(64).describe("Residual width (config.json hidden_size)."),
  intermediateSize: positiveInt.default(176).describe("SwiGLU MLP width (intermediate_size)."),
  layers: positiveInt.default(2).describe("Decoder blocks (num_hidden_layers)."),
  heads: positiveInt.default(4).describe("Attention heads (num_attention_heads)."),
  kvHeads: positiveInt.default(4).describe("Key/value heads, dividing heads (num_key_value_heads)."),
  contextLength: positiveInt.default(320).describe(
    "Longest sequence in tokens, BOS and EOS included (max_position_embeddings).",
  ),
  ropeTheta: z.number().positive().default(10000).describe("Rotary embedding base (rope_theta)."),
  rmsNormEps: z.number().positive().default(1e-5).describe("RMSNorm epsilon (rms_norm_eps)."),
  tieEmbeddings: z.boolean().default(true).describe(
    "Share the input embedding with the output head (tie_word_embeddings).",
  ),
}).strict().superRefine((m, ctx) => {
  if (m.hiddenSize % m.heads !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["hiddenSize"],
      message: `must be divisible by heads (${m.heads}), got ${m.hiddenSize}`,
    });
  } else if ((m.hiddenSize / m.heads) % 2 !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["heads"],
      message: `must leave an even head size (hiddenSize / heads) for rotary embeddings, got ${m.heads}`,
    });
  }
  if (m.heads % m.kvHeads !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["kvHeads"],
      message: `must divide heads (${m.heads}), got ${m.kvHeads}`,
    });
  }
});

/**
 * Shape of a proxy's Llama-architecture decoder, in the manifest's camelCase. Maps one-to-one onto
 * Hugging Face `config.json` fields (named in each help text). Ignored when the setup names a checkpoint,
 * whose own config.json then rules.
 */
export const modelSchema: z.ZodType<ModelSettings> = modelObject;
const _modelMatches: SameType<z.output<typeof modelObject>, ModelSettings> = true;

/** AdamW training of a proxy, with warm-up and cosine decay. */
const trainingObject = z.object({
  steps: positiveInt.default(4000).describe("Optimiser steps."),
  batchSize: positiveInt.default(16).describe("Sequences per step."),
  learningRate: z.number().positive().default(3e-3).describe("Peak learning rate."),
  minLearningRateRatio: z.number().min(0).max(1).default(0.1).describe(
    "Cosine decay floor, as a fraction of the peak learning rate.",
  ),
  warmupSteps: z.number().int().min(0).default(100).describe("Linear warm-up steps."),
  weightDecay: z.number().min(0).default(0.01).describe("Decoupled AdamW weight decay (not on norms)."),
  beta1: z.number().min(0).lt(1).default(0.9).describe("AdamW first-moment decay."),
  beta2: z.number().min(0).lt(1).default(0.95).describe("AdamW second-moment decay."),
  gradClip: z.number().positive().default(1).describe("Global gradient-norm clip."),
  checkpointEvery: positiveInt.default(200).describe("Steps between resumable training checkpoints."),
  scoredRepeats: positiveInt.default(1).describe(
    "Times each scored document appears per epoch (the unscored ones appear once); more makes the " +
      "proxies learn the corpus's facts, which are stated only in scored documents.",
  ),
  seed: z.number().int().min(0).nullable().default(null).describe(
    "Seed for initialisation and data order; null derives it from the root seed and the setup name.",
  ),
  arithmeticDrills: z.number().min(0).lt(1).default(0).describe(
    "Fraction of the training documents that are arithmetic drill sheets (one `x op y = z` per line, over " +
      "the operand ranges of the reasoning procedures' steps), added to the corpus. Training data only: " +
      "never scored. 0 adds none.",
  ),
  lengthBuckets: positiveInt.default(1).describe(
    "Length bucketing: each window of lengthBuckets × batchSize shuffled documents is sorted by length and " +
      "cut into batches, which are visited in a drawn order, so a batch pads to similar lengths (less " +
      "compute per token). 1 keeps plain shuffled batches.",
  ),
}).strict();

/** AdamW training of a proxy, with warm-up and cosine decay. */
export const trainingSchema: z.ZodType<TrainingSettings> = trainingObject;
const _trainingMatches: SameType<z.output<typeof trainingObject>, TrainingSettings> = true;
