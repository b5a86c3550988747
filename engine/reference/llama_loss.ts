/**
 * The weighted summed next-token loss of a Llama model and its gradients, in float64.
 *
 * @module
 */

import type { LlamaConfig } from "../model/config.ts";
import type { LlamaParams } from "../model/params.ts";
import {
  crossEntropyBackward,
  crossEntropyForward,
  type CrossEntropyResult,
  nextTokenLabels,
} from "./cross_entropy.ts";
import { llamaBackward, type LlamaBackwardOptions, type LlamaGradients } from "./llama_backward.ts";
import { type LlamaActivations, llamaForward, type TokenBatch } from "./llama_forward.ts";

/**
 * Targets per position (b, t), row-major [B, T]: position t's logits predict `labels[b, t]`.
 * Defaults: the real next tokens ({@link ./cross_entropy.ts nextTokenLabels}) and weight 1 on every
 * position that has a label.
 */
export interface LossTargets {
  /** Target ids [B·T]; negative for none. E.g. labels sampled from the model, for the true Fisher. */
  labels?: Int32Array;
  /** Per-position weights [B·T]; 0 masks a position (e.g. prompt tokens). */
  weights?: Float64Array;
}

/** Loss, probabilities and activations of one forward pass. */
export interface LlamaLoss extends CrossEntropyResult {
  /** The resolved labels, [B·T]. */
  labels: Int32Array;
  /** The resolved weights, [B·T]. */
  weights: Float64Array;
  /** The forward activations, logits included. */
  acts: LlamaActivations;
}

/**
 * Forward pass and loss L = Σ_(b,t) weights[b,t] · (−log p(labels[b,t] | tokens ≤ t)).
 *
 * @param config The model configuration.
 * @param params Float64 parameters.
 * @param tokens Token ids.
 * @param targets Labels and weights; both optional.
 * @returns The summed loss, per-position label log-probabilities, softmax probabilities [B·T, V],
 * resolved targets and activations.
 * @throws {RangeError} When shapes disagree or ids or labels are out of range.
 */
export function llamaLoss(
  config: LlamaConfig,
  params: LlamaParams<Float64Array>,
  tokens: TokenBatch,
  targets: LossTargets = {},
): LlamaLoss {
  const acts = llamaForward(config, params, tokens);
  const labels = targets.labels ?? nextTokenLabels(tokens.ids, tokens.batch, tokens.seqLen);
  const weights = targets.weights ?? Float64Array.from(labels, (label) => (label < 0 ? 0 : 1));
  const result = crossEntropyForward(acts.logits, labels, weights, tokens.ids.length, config.vocabSize);
  return { ...result, labels, weights, acts };
}

/**
 * {@linkcode llamaLoss} followed by the gradient of the loss with respect to every parameter, and
 * the per-token inputs `a` and output gradients `g` of every (selected) linear layer.
 *
 * @param config The model configuration.
 * @param params Float64 parameters.
 * @param tokens Token ids.
 * @param targets Labels and weights; both optional.
 * @param options Which linear layers to record.
 * @returns The loss results, gradients and records.
 * @throws {RangeError} When shapes disagree or ids or labels are out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "../model/config.ts";
 * import { initParams } from "../model/init_params.ts";
 * import { castParams } from "../model/params.ts";
 * import { llamaLossAndGradients } from "./llama_loss.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 11,
 * });
 * const params = castParams(initParams(config, 0), Float64Array);
 * const tokens = { ids: new Int32Array([1, 2, 3]), batch: 1, seqLen: 3 };
 * const { grads, records } = llamaLossAndGradients(config, params, tokens);
 * assert.deepEqual(grads.get("model.norm.weight")?.length, 8);
 * assert.deepEqual(records.get("model.layers.0.mlp.down_proj.weight")?.a.length, 3 * 12);
 * ```
 */
export function llamaLossAndGradients(
  config: LlamaConfig,
  params: LlamaParams<Float64Array>,
  tokens: TokenBatch,
  targets: LossTargets = {},
  options: LlamaBackwardOptions = {},
): LlamaLoss & LlamaGradients {
  const loss = llamaLoss(config, params, tokens, targets);
  const rows = tokens.ids.length;
  const dLogits = crossEntropyBackward(loss.probs, loss.labels, loss.weights, rows, config.vocabSize);
  return { ...loss, ...llamaBackward(config, params, loss.acts, dLogits, options) };
}
