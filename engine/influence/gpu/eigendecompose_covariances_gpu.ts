/**
 * Step 2 of EK-FAC on the GPU: the eigenbases of A and S of every layer by parallel Jacobi.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import type { LayerEigenbasis } from "../cpu/eigendecompose_covariances.ts";
import type { LayerCovariance } from "../cpu/fit_covariances.ts";
import { jacobiEigen, type JacobiEigenOptions } from "./jacobi_eigen.ts";

/**
 * The GPU counterpart of `eigendecomposeCovariances` (the harness picks `cpu-f64` or `gpu-jacobi`):
 * every A and S goes through {@linkcode jacobiEigen} in one call (matrices of equal order share
 * dispatches; block-diagonal factors are solved block by block), so the result has the same shape,
 * conventions and accuracy fields, with f32-level accuracy.
 *
 * @param gpu The device.
 * @param covariances The factors (from `fitCovariances` or `CovarianceAccumulator.read`).
 * @param options Convergence settings of the solver.
 * @returns The eigenbases, keyed and ordered as the input.
 * @throws {RangeError} When a decomposition does not converge.
 */
export async function eigendecomposeCovariancesGpu(
  gpu: Gpu,
  covariances: ReadonlyMap<string, LayerCovariance>,
  options: JacobiEigenOptions = {},
): Promise<Map<string, LayerEigenbasis>> {
  const entries = [...covariances.values()];
  const results = await jacobiEigen(
    gpu,
    entries.flatMap((c) => [
      { matrix: c.a, n: c.inDim, blocks: c.blocks },
      { matrix: c.s, n: c.outDim, blocks: c.blocks },
    ]),
    options,
  );
  return new Map(entries.map((c, i) => {
    const a = results[2 * i], s = results[2 * i + 1];
    const accuracy = ({ sweeps, orthogonalityError, reconstructionError }: typeof a) => ({
      sweeps,
      orthogonalityError,
      reconstructionError,
    });
    return [c.name, {
      name: c.name,
      outDim: c.outDim,
      inDim: c.inDim,
      qa: a.vectors,
      aValues: a.values,
      qs: s.vectors,
      sValues: s.values,
      tokens: c.tokens,
      sequences: c.sequences,
      accuracy: { a: accuracy(a), s: accuracy(s) },
    }];
  }));
}
