/**
 * Step 5 of EK-FAC: the preconditioned query gradient P_q = (G + λI)⁻¹ V per tracked layer.
 *
 * @module
 */

import type { InfluenceStrategy } from "../settings.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { fromEigenbasis, toEigenbasis } from "./dense.ts";
import type { PreconditionFactors } from "./precondition_factors.ts";
import { eigenvalueMatrices } from "./resolve_damping.ts";
import { truncateRank } from "./truncate_rank.ts";

/** Options of {@linkcode preconditionGradient}. */
export interface PreconditionOptions {
  /** Keep a rank-k SVD of each layer's preconditioned gradient; null or absent keeps full rank. */
  rank?: number | null;
}

/**
 * Preconditions a gradient layer by layer (W [out, in], row-major throughout):
 *
 * - `identity`: P = V;
 * - `diagonal`: P = V ⊘ (D + λ);
 * - `kfac`: P = Q_S [(Q_Sᵀ V Q_A) ⊘ ((T/N_seq) s aᵀ + λ)] Q_Aᵀ, i.e. ((T/N_seq) A ⊗ S + λI)⁻¹ V;
 * - `ekfac`: P = Q_S [(Q_Sᵀ V Q_A) ⊘ (Λ + λ)] Q_Aᵀ.
 *
 * In row-major vec (index o·in + i) the EK-FAC matrix is (Q_S ⊗ Q_A) diag(vec(Λ + λ)) (Q_S ⊗ Q_A)ᵀ,
 * which is (Q_A ⊗ Q_S) diag(·) (Q_A ⊗ Q_S)ᵀ in the column-major vec of the literature. Every
 * preconditioner is symmetric, so ⟨P(V), X⟩ = ⟨V, P(X)⟩.
 *
 * @param strategy The preconditioner.
 * @param layers The tracked layers (shapes), in the order of the result.
 * @param gradient V per layer name, [out, in] (the gradient of −f for a query).
 * @param factors The fitted factors the strategy needs.
 * @param damping λ per layer from {@link ./resolve_damping.ts resolveDamping} (ignored by `identity`).
 * @param options Optional rank-k truncation.
 * @returns P per layer name, [out, in].
 * @throws {RangeError} When a gradient, factor or damping value is missing or misshapen.
 */
export function preconditionGradient(
  strategy: InfluenceStrategy,
  layers: readonly TrackedLayer[],
  gradient: ReadonlyMap<string, Float64Array>,
  factors: PreconditionFactors,
  damping: ReadonlyMap<string, number>,
  options: PreconditionOptions = {},
): Map<string, Float64Array> {
  const values = strategy === "identity" ? undefined : eigenvalueMatrices(strategy, factors);
  const result = new Map<string, Float64Array>();
  for (const { name, outDim, inDim } of layers) {
    const v = gradient.get(name);
    if (v?.length !== outDim * inDim) {
      throw new RangeError(`preconditionGradient(): no gradient of shape [${outDim}, ${inDim}] for ${name}`);
    }
    let p: Float64Array = v.slice();
    if (values !== undefined) {
      const lambda = damping.get(name), eigenvalues = values.get(name);
      if (lambda === undefined || eigenvalues?.length !== v.length) {
        throw new RangeError(`preconditionGradient(): missing damping or ${strategy} factors for ${name}`);
      }
      if (strategy === "diagonal") {
        p = p.map((x, k) => x / (eigenvalues[k] + lambda));
      } else {
        const basis = factors.eigen?.get(name);
        if (basis === undefined) {
          throw new RangeError(`preconditionGradient(): ${strategy} needs the eigenbasis of ${name}`);
        }
        const rotated = toEigenbasis(v, basis.qs, basis.qa, outDim, inDim);
        for (let k = 0; k < rotated.length; k++) rotated[k] /= eigenvalues[k] + lambda;
        p = fromEigenbasis(rotated, basis.qs, basis.qa, outDim, inDim);
      }
    }
    result.set(name, options.rank == null ? p : truncateRank(p, outDim, inDim, options.rank));
  }
  return result;
}
