/**
 * The fitted factors a preconditioner reads.
 *
 * @module
 */

import type { LayerEigenbasis } from "./eigendecompose_covariances.ts";
import type { LayerLambda } from "./fit_lambda.ts";

/** Fitted factors by tracked weight name; which ones are needed depends on the strategy. */
export interface PreconditionFactors {
  /** Eigenbases of A and S (`kfac`, `ekfac`). */
  eigen?: ReadonlyMap<string, LayerEigenbasis>;
  /** Corrected eigenvalues Λ (`ekfac`) and the parameter-basis diagonal D (`diagonal`). */
  lambda?: ReadonlyMap<string, LayerLambda>;
}
