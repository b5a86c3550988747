/**
 * Per-(position, vocabulary entry) pseudo-gradients: the exact expectation over sampled labels.
 *
 * With independent labels y_t ~ p_t at the positions t that have a next token, any quantity x linear in
 * the output gradient is x = Σ_t B_t (p_t − e_(y_t)) (B_t backpropagates position t's logits). The
 * terms are independent with zero mean, so E[x xᵀ] = Σ_t B_t (diag p_t − p_t p_tᵀ) B_tᵀ: no
 * cross-position terms. Since diag p − ppᵀ = Σ_v p_v (p − e_v)(p − e_v)ᵀ, backpropagating
 * dLogits = √p_(t,v) (p_t − e_v) at position t alone yields pseudo-gradients x_(t,v) with
 * E[x xᵀ] = Σ_(t,v) x_(t,v) x_(t,v)ᵀ. This holds for layer output gradients g (S), weight gradients
 * DW (elementwise: E[(Q_Sᵀ DW Q_A)²] = Σ_(t,v) (Q_Sᵀ DW_(t,v) Q_A)², i.e. Λ) and the whole parameter
 * gradient (the Gauss-Newton matrix Σ_t Jᵀ (diag p − ppᵀ) J).
 *
 * @module
 */

import { type LinearRecord, llamaBackward } from "../../reference/llama_backward.ts";
import { llamaLoss } from "../../reference/llama_loss.ts";
import type { LlamaParams } from "../../model/params.ts";
import { type ReferenceModel, singleSequence } from "./reference_model.ts";

/** One pseudo-gradient of a sequence. */
export interface PseudoGradient {
  /** Position t whose logits carry the pseudo-loss (0 … T − 2). */
  position: number;
  /** Vocabulary entry v playing the label. */
  token: number;
  /** √p_(t,v), already folded into `records` and `grads`. */
  weight: number;
  /** Records of the tracked layers: `a` [T, in] and g [T, out] of √p (p − e_v) at position t. */
  records: Map<string, LinearRecord>;
  /** Parameter gradients of the same pseudo-loss (tracked layers: Σ_rows g aᵀ, [out, in]). */
  grads: LlamaParams<Float64Array>;
}

/**
 * Yields the pseudo-gradients of one sequence: one backward pass per (position with a next token,
 * vocabulary entry), all sharing one forward pass. For micro models: T·V backward passes.
 *
 * @param model The model.
 * @param ids Token ids of the sequence, [T].
 * @param tracked Weight names whose records are kept.
 * @returns A generator of pseudo-gradients, positions ascending, then tokens ascending; entries with
 * p = 0 are skipped.
 */
export function* pseudoGradients(
  model: ReferenceModel,
  ids: Int32Array,
  tracked: readonly string[],
): Generator<PseudoGradient> {
  const { config, params } = model;
  const vocab = config.vocabSize, seqLen = ids.length;
  const record = (name: string) => tracked.includes(name);
  const { acts, probs } = llamaLoss(config, params, singleSequence(ids));
  for (let position = 0; position + 1 < seqLen; position++) {
    const p = probs.subarray(position * vocab, (position + 1) * vocab);
    for (let token = 0; token < vocab; token++) {
      const weight = Math.sqrt(p[token]);
      if (weight === 0) continue;
      const dLogits = new Float64Array(seqLen * vocab);
      for (let v = 0; v < vocab; v++) dLogits[position * vocab + v] = weight * p[v];
      dLogits[position * vocab + token] -= weight;
      const { records, grads } = llamaBackward(config, params, acts, dLogits, { record });
      yield { position, token, weight, records, grads };
    }
  }
}
