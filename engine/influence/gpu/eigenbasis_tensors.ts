/**
 * Kronecker eigenbases uploaded for the GPU passes.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { Tensor } from "../../tensor.ts";
import type { LayerEigenbasis } from "../cpu/eigendecompose_covariances.ts";
import type { TrackedLayer } from "../tracked_layers.ts";

/** Q_A and Q_S of one layer on the GPU (f32, row-major, eigenvectors as columns). */
export interface EigenbasisTensors {
  /** Q_A, [in, in]. */
  qa: Tensor<"f32">;
  /** Q_S, [out, out]. */
  qs: Tensor<"f32">;
}

/**
 * Uploads the eigenbases of the given layers (float64 → f32).
 *
 * @param gpu The device.
 * @param layers Tracked layers (shapes).
 * @param bases Eigenbases by weight name (from `eigendecomposeCovariances` or
 *   {@link ./eigendecompose_covariances_gpu.ts eigendecomposeCovariancesGpu}).
 * @param op Calling function, for messages.
 * @returns Tensors by weight name, in layer order.
 * @throws {RangeError} When a basis is missing or misshapen.
 */
export function uploadEigenbases(
  gpu: Gpu,
  layers: readonly TrackedLayer[],
  bases: ReadonlyMap<string, LayerEigenbasis>,
  op = "uploadEigenbases()",
): Map<string, EigenbasisTensors> {
  return new Map(layers.map(({ name, outDim, inDim }) => {
    const basis = bases.get(name);
    if (basis?.outDim !== outDim || basis.inDim !== inDim) {
      throw new RangeError(`${op}: no eigenbasis of shape [${outDim}, ${inDim}] for ${name}`);
    }
    return [name, {
      qa: Tensor.from(gpu, Float32Array.from(basis.qa), [inDim, inDim]),
      qs: Tensor.from(gpu, Float32Array.from(basis.qs), [outDim, outDim]),
    }];
  }));
}
