/**
 * Step 2 of EK-FAC: the eigenbases of A and S.
 *
 * @module
 */

import type { TrackedLayer } from "../tracked_layers.ts";
import type { LayerCovariance } from "./fit_covariances.ts";
import { type SymmetricEigen, symmetricEigen, type SymmetricEigenOptions } from "./symmetric_eigen.ts";

/** Eigendecompositions A = Q_A diag(aValues) Q_Aᵀ and S = Q_S diag(sValues) Q_Sᵀ of one layer. */
export interface LayerEigenbasis extends TrackedLayer {
  /** Q_A, [in, in] row-major, eigenvectors as columns, in the order of `aValues`. */
  qa: Float64Array;
  /** Eigenvalues of A, ascending, [in]. */
  aValues: Float64Array;
  /** Q_S, [out, out] row-major, eigenvectors as columns, in the order of `sValues`. */
  qs: Float64Array;
  /** Eigenvalues of S, ascending, [out]. */
  sValues: Float64Array;
  /** T of the covariance fit. */
  tokens: number;
  /** N_seq of the covariance fit. */
  sequences: number;
  /** Sweeps and accuracy of both decompositions (see {@link ./symmetric_eigen.ts SymmetricEigen}). */
  accuracy: {
    a: Pick<SymmetricEigen, "sweeps" | "orthogonalityError" | "reconstructionError">;
    s: Pick<SymmetricEigen, "sweeps" | "orthogonalityError" | "reconstructionError">;
  };
}

/**
 * Eigendecomposes A and S of every layer with the float64 cyclic Jacobi solver. Block-diagonal
 * factors stay block-diagonal: a rotation never mixes entries of different blocks.
 *
 * @param covariances The factors from {@link ./fit_covariances.ts fitCovariances}.
 * @param options Convergence settings of the solver.
 * @returns The eigenbases, keyed and ordered as the input.
 * @throws {RangeError} When a decomposition does not converge.
 */
export function eigendecomposeCovariances(
  covariances: ReadonlyMap<string, LayerCovariance>,
  options: SymmetricEigenOptions = {},
): Map<string, LayerEigenbasis> {
  const result = new Map<string, LayerEigenbasis>();
  for (const [name, c] of covariances) {
    const a = symmetricEigen(c.a, c.inDim, options), s = symmetricEigen(c.s, c.outDim, options);
    const accuracy = ({ sweeps, orthogonalityError, reconstructionError }: SymmetricEigen) => ({
      sweeps,
      orthogonalityError,
      reconstructionError,
    });
    result.set(name, {
      name,
      outDim: c.outDim,
      inDim: c.inDim,
      qa: a.vectors,
      aValues: a.values,
      qs: s.vectors,
      sValues: s.values,
      tokens: c.tokens,
      sequences: c.sequences,
      accuracy: { a: accuracy(a), s: accuracy(s) },
    });
  }
  return result;
}
