/**
 * Step 6 of EK-FAC: influence scores, per layer, per token, and their normalised views.
 *
 * Sign. Upweighting document x by ε gives θ*(ε) = argmin_θ (1/N) Σ_i L(x_i, θ) + ε L(x, θ); the
 * implicit function theorem gives dθ*(ε)/dε at ε = 0 as −(G + λI)⁻¹ ∇L(x) (G the Gauss-Newton matrix of the mean
 * per-document loss), so the change of the measurement f = log p(completion | prompt) is
 * I(q, x) = df/dε = −∇fᵀ (G + λI)⁻¹ ∇L(x). With the query gradient V = ∇(−f) = −∇f and
 * P_q = (G + λI)⁻¹ V this is I(q, x) = ⟨P_q, ∇L(x)⟩: positive means adding x raises
 * log p(completion), and 1.0 is +1 nat. Check: one gradient step on x alone, θ' = θ − η ∇L(x), changes
 * f by ≈ −η ∇fᵀ ∇L(x) = η ⟨V, ∇L(x)⟩, η times the `identity` score (and a preconditioned step
 * θ' = θ − η (G + λI)⁻¹ ∇L(x) changes it by η times the preconditioned score, the preconditioner being
 * symmetric).
 *
 * @module
 */

import type { LinearRecord } from "../../reference/llama_backward.ts";

/** Layer matrices by tracked weight name, each [out, in] row-major. */
export type LayerMatrices = ReadonlyMap<string, Float64Array>;

/** The score of one (query, document) pair. */
export interface InfluenceScore {
  /** I(q, x) = Σ_layers ⟨P_q, ∇_W L(x)⟩, in nats of log p(completion). */
  score: number;
  /** Each layer's term ⟨P_q, ∇_W L(x)⟩, by weight name in the order of `preconditioned`. */
  perLayer: Map<string, number>;
}

/**
 * Scores one document against one query.
 *
 * @param preconditioned P_q per layer (from {@link ./precondition_gradient.ts preconditionGradient}).
 * @param documentGradient ∇_W L(x) per layer.
 * @returns The score and its per-layer terms.
 * @throws {RangeError} When a layer is missing or misshapen in the document gradient.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { influenceScore } from "./influence_scores.ts";
 * const p = new Map([["w", new Float64Array([1, 2])]]);
 * const g = new Map([["w", new Float64Array([3, -1])]]);
 * assert.equal(influenceScore(p, g).score, 1);
 * ```
 */
export function influenceScore(
  preconditioned: LayerMatrices,
  documentGradient: LayerMatrices,
): InfluenceScore {
  const perLayer = new Map<string, number>();
  let score = 0;
  for (const [name, p] of preconditioned) {
    const g = documentGradient.get(name);
    if (g?.length !== p.length) throw new RangeError(`influenceScore(): no document gradient for ${name}`);
    let dot = 0;
    for (let k = 0; k < p.length; k++) dot += p[k] * g[k];
    perLayer.set(name, dot);
    score += dot;
  }
  return { score, perLayer };
}

/**
 * Scores every document against every query (each document gradient computed once, dotted with all
 * preconditioned queries).
 *
 * @param queries P_q per query.
 * @param documents ∇_W L(x) per document.
 * @returns Raw scores [queries, documents] row-major (the layout of `scores.safetensors`).
 */
export function scoreMatrix(
  queries: readonly LayerMatrices[],
  documents: readonly LayerMatrices[],
): Float64Array {
  const scores = new Float64Array(queries.length * documents.length);
  documents.forEach((doc, d) => {
    queries.forEach((query, q) => (scores[q * documents.length + d] = influenceScore(query, doc).score));
  });
  return scores;
}

/**
 * Per-token scores of a document: Σ_layers g_tᵀ P_q a_t for every position t (the score without Σ_t;
 * g_t is the output gradient of the document's summed loss, so it includes what later positions
 * backpropagate). They sum to {@linkcode influenceScore}'s score.
 *
 * @param preconditioned P_q per layer.
 * @param records The document's records (from {@link ./document_gradient.ts documentGradient}).
 * @returns Scores per position, [T].
 * @throws {RangeError} When a record is missing or misshapen.
 */
export function tokenScores(
  preconditioned: LayerMatrices,
  records: ReadonlyMap<string, LinearRecord>,
): Float64Array {
  let scores: Float64Array | undefined;
  for (const [name, p] of preconditioned) {
    const record = records.get(name);
    if (record === undefined || p.length !== record.outDim * record.inDim) {
      throw new RangeError(`tokenScores(): no record matching ${name}`);
    }
    const { a, g, rows, inDim, outDim } = record;
    scores ??= new Float64Array(rows);
    for (let t = 0; t < rows; t++) {
      let sum = 0;
      for (let o = 0; o < outDim; o++) {
        const go = g[t * outDim + o];
        if (go === 0) continue;
        let pa = 0;
        for (let i = 0; i < inDim; i++) pa += p[o * inDim + i] * a[t * inDim + i];
        sum += go * pa;
      }
      scores[t] += sum;
    }
  }
  return scores ?? new Float64Array(0);
}

/**
 * ‖∇_W L(x)‖₂ over all tracked layers: the per-document divisor of the gradient-norm-normalised view.
 * The raw (not preconditioned) document gradient is used, as "the norm of the document gradient" in
 * Ruis et al.; it is computed once per document, like the gradient itself.
 *
 * @param gradient Per-layer gradient.
 * @returns The Euclidean norm.
 */
export function gradientNorm(gradient: LayerMatrices): number {
  let sum = 0;
  for (const g of gradient.values()) for (const v of g) sum += v * v;
  return Math.sqrt(sum);
}

/**
 * Per-nat view (normalisation 1): each query's scores divided by its nats −log p(completion | prompt).
 *
 * @param scores Raw scores [queries, documents].
 * @param nats Per query, [queries].
 * @returns Scores in units of the query's information content, [queries, documents].
 * @throws {RangeError} When the shapes disagree.
 */
export function perNatScores(scores: Float64Array, nats: Float64Array): Float64Array {
  const docs = scores.length / nats.length;
  if (!Number.isInteger(docs)) throw new RangeError("perNatScores(): scores are not [queries, documents]");
  return scores.map((s, k) => s / nats[Math.floor(k / docs)]);
}

/**
 * Gradient-norm-normalised view (normalisation 2, for rankings): each document's scores divided by
 * its {@linkcode gradientNorm}.
 *
 * @param scores Raw scores [queries, documents].
 * @param norms Per document, [documents].
 * @returns Normalised scores, [queries, documents]; a document with a zero gradient scores 0.
 * @throws {RangeError} When the shapes disagree.
 */
export function gradientNormalisedScores(scores: Float64Array, norms: Float64Array): Float64Array {
  if (scores.length % norms.length !== 0) {
    throw new RangeError("gradientNormalisedScores(): scores are not [queries, documents]");
  }
  return scores.map((s, k) => (norms[k % norms.length] === 0 ? 0 : s / norms[k % norms.length]));
}
