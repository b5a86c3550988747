/**
 * The exact answer for micro models: the Gauss-Newton matrix of all tracked parameters jointly, and
 * damped solves with it (whole, or its layer-diagonal blocks).
 *
 * @module
 */

import { resolveTrackedLayers, type TrackedLayer } from "../tracked_layers.ts";
import { choleskyFactor, choleskySolve } from "./cholesky.ts";
import type { LayerMatrices } from "./influence_scores.ts";
import { pseudoGradients } from "./pseudo_gradients.ts";
import type { ReferenceModel } from "./reference_model.ts";

/** A tracked layer's slice of the joint parameter vector. */
export interface ParameterSlice extends TrackedLayer {
  /** Index of W[0, 0]; W [out, in] occupies offset … offset + out·in − 1, row-major. */
  offset: number;
}

/** The Gauss-Newton matrix of the tracked parameters. */
export interface ExactGaussNewton {
  /**
   * G = (1/N_seq) Σ_seq Σ_t J_tᵀ (diag p_t − p_t p_tᵀ) J_t, [size, size] row-major, symmetric: J_t the
   * Jacobian of position t's logits with respect to the tracked parameters, t over the positions
   * that have a next token. Per sequence like Λ, so EK-FAC with exact labels has Λ = diag(Qᵀ G Q) on
   * each layer block, and it is the Hessian scale of the influence-function derivation (the mean
   * per-document loss).
   */
  matrix: Float64Array;
  /** Number of tracked parameters. */
  size: number;
  /** The layers in forward order; the parameter vector concatenates their row-major weights. */
  slices: ParameterSlice[];
  /** N_seq. */
  sequences: number;
}

/**
 * Builds the exact Gauss-Newton matrix from the √p-weighted pseudo-gradients of every (position,
 * vocabulary entry) (see {@link ./pseudo_gradients.ts pseudoGradients}). Micro models only: memory is
 * size², time N_seq · T · V backward passes plus size² · N_seq · T · V multiply-adds.
 *
 * @param model The model.
 * @param sequences Fit token ids, one array per sequence.
 * @param tracked Tracked weight names.
 * @returns G and the parameter layout.
 * @throws {RangeError} When there are no sequences or a name is unknown.
 */
export function exactGaussNewton(
  model: ReferenceModel,
  sequences: readonly Int32Array[],
  tracked: readonly string[],
): ExactGaussNewton {
  if (sequences.length === 0) throw new RangeError("exactGaussNewton(): no fit sequences");
  let size = 0;
  const slices = resolveTrackedLayers(model.config, tracked).map((layer) => {
    const slice = { ...layer, offset: size };
    size += layer.outDim * layer.inDim;
    return slice;
  });
  const names = slices.map((slice) => slice.name);
  const rows: Float64Array[] = [];
  for (const ids of sequences) {
    for (const { grads } of pseudoGradients(model, ids, names)) {
      const u = new Float64Array(size);
      for (const slice of slices) u.set(grads.get(slice.name)!, slice.offset);
      rows.push(u);
    }
  }
  // Columns of Uᵀ are the pseudo-gradients; G[i, j] = Σ_r u_r[i] u_r[j] / N_seq over contiguous rows.
  const count = rows.length;
  const ut = new Float64Array(size * count);
  rows.forEach((u, r) => u.forEach((v, i) => (ut[i * count + r] = v)));
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const ri = ut.subarray(i * count, (i + 1) * count);
    for (let j = i; j < size; j++) {
      let sum = 0;
      const rj = j * count;
      for (let r = 0; r < count; r++) sum += ri[r] * ut[rj + r];
      matrix[i * size + j] = matrix[j * size + i] = sum / sequences.length;
    }
  }
  return { matrix, size, slices, sequences: sequences.length };
}

/**
 * A solver for (G + Λ_damp)⁻¹ with Λ_damp = λ_layer on each layer's parameters: the exact damped
 * Gauss-Newton preconditioner, or, with `blockDiagonal`, its layer-diagonal blocks (cross-layer
 * curvature dropped) — the best any per-layer method such as EK-FAC can do.
 *
 * @param ggn From {@linkcode exactGaussNewton}.
 * @param damping λ per tracked weight name.
 * @param options Whether to keep only the layer-diagonal blocks.
 * @returns A function mapping a gradient V (per layer, [out, in]) to (G + Λ_damp)⁻¹ V.
 * @throws {RangeError} When a layer has no damping or the damped matrix is not positive definite.
 */
export function dampedGaussNewtonSolver(
  ggn: ExactGaussNewton,
  damping: ReadonlyMap<string, number>,
  options: { blockDiagonal?: boolean } = {},
): (gradient: LayerMatrices) => Map<string, Float64Array> {
  const groups = options.blockDiagonal ? ggn.slices.map((slice) => [slice]) : [ggn.slices];
  const solvers = groups.map((slices) => {
    const offset = slices[0].offset;
    const n = slices.reduce((sum, s) => sum + s.outDim * s.inDim, 0);
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      m.set(
        ggn.matrix.subarray((offset + i) * ggn.size + offset, (offset + i) * ggn.size + offset + n),
        i * n,
      );
    }
    for (const slice of slices) {
      const lambda = damping.get(slice.name);
      if (lambda === undefined) {
        throw new RangeError(`dampedGaussNewtonSolver(): no damping for ${slice.name}`);
      }
      const start = slice.offset - offset;
      for (let k = start; k < start + slice.outDim * slice.inDim; k++) m[k * n + k] += lambda;
    }
    return { slices, offset, n, factor: choleskyFactor(m, n) };
  });
  return (gradient) => {
    const result = new Map<string, Float64Array>();
    for (const { slices, offset, n, factor } of solvers) {
      const b = new Float64Array(n);
      for (const slice of slices) {
        const v = gradient.get(slice.name);
        if (v?.length !== slice.outDim * slice.inDim) {
          throw new RangeError(`dampedGaussNewtonSolver(): no gradient for ${slice.name}`);
        }
        b.set(v, slice.offset - offset);
      }
      const x = choleskySolve(factor, n, b);
      for (const slice of slices) {
        const start = slice.offset - offset;
        result.set(slice.name, x.slice(start, start + slice.outDim * slice.inDim));
      }
    }
    return result;
  };
}
