/**
 * Numerical settings shared by the CPU reference and the GPU implementation of the influence
 * pipeline; they mirror the manifest's `influence` block.
 *
 * @module
 */

/** The preconditioners, in the order of increasing fidelity to the Gauss-Newton matrix. */
export const INFLUENCE_STRATEGIES = ["identity", "diagonal", "kfac", "ekfac"] as const;

/**
 * Preconditioner of the query gradient: `identity` (plain gradient dot product), `diagonal` (the
 * per-parameter Fisher diagonal), `kfac` ((A ⊗ S + λI)⁻¹ via the eigenbases) or `ekfac` (K-FAC's
 * eigenbasis with corrected eigenvalues Λ).
 */
export type InfluenceStrategy = typeof INFLUENCE_STRATEGIES[number];

/**
 * Damping λ added to the curvature of every tracked layer: `heuristic` is λ = factor × mean of the
 * strategy's eigenvalue matrix per layer (0.1 by convention); `absolute` is the same λ everywhere.
 */
export type DampingSetting =
  | { mode: "heuristic"; factor: number }
  | { mode: "absolute"; value: number };

/** The usual damping: λ = 0.1 × mean(Λ) per layer. */
export const DEFAULT_DAMPING: DampingSetting = { mode: "heuristic", factor: 0.1 };
