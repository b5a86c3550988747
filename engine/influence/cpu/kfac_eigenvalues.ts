/**
 * K-FAC's eigenvalues in the Kronecker eigenbasis.
 *
 * @module
 */

import type { LayerEigenbasis } from "./eigendecompose_covariances.ts";

/**
 * K-FAC eigenvalues (T/N_seq) · s_i · a_j, [out, in] row-major (i over `sValues`, j over `aValues`).
 * A ⊗ S is a per-token average; the factor T/N_seq (mean loss positions per fit sequence) puts it on
 * the per-sequence scale of Λ and of the Gauss-Newton matrix, so K-FAC and EK-FAC approximate the same
 * curvature. (kronfluence omits the factor; with heuristic damping its K-FAC scores are T/N_seq times
 * these.)
 *
 * @param basis A layer's eigenbasis.
 * @returns The eigenvalue matrix.
 */
export function kfacEigenvalues(basis: LayerEigenbasis): Float64Array {
  const { outDim, inDim, sValues, aValues } = basis;
  const scale = basis.tokens / basis.sequences;
  const values = new Float64Array(outDim * inDim);
  for (let i = 0; i < outDim; i++) {
    for (let j = 0; j < inDim; j++) values[i * inDim + j] = scale * sValues[i] * aValues[j];
  }
  return values;
}
