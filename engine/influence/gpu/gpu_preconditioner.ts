/**
 * Step 5 of EK-FAC on the GPU: preconditioned query gradients P_q = (G + λI)⁻¹ V for a batch of
 * queries, with the strategies, damping and K-FAC scaling of the reference `preconditionGradient`.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { mul } from "../../kernels/binary.ts";
import { copy } from "../../kernels/fill.ts";
import { matmul } from "../../kernels/matmul.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import type { PreconditionFactors } from "../cpu/precondition_factors.ts";
import { eigenvalueMatrices } from "../cpu/resolve_damping.ts";
import { truncateRank } from "../cpu/truncate_rank.ts";
import type { InfluenceStrategy } from "../settings.ts";
import type { TrackedLayer } from "../tracked_layers.ts";
import { type EigenbasisTensors, uploadEigenbases } from "./eigenbasis_tensors.ts";
import { ScratchTensors } from "./scratch_tensors.ts";

/**
 * A preconditioner resident on the GPU. Per layer (W [out, in], row-major, K = out·in):
 *
 * - `identity`: P = V;
 * - `diagonal`: P = V ⊙ 1/(D + λ);
 * - `kfac`: P = Q_S [(Q_Sᵀ V Q_A) ⊙ 1/((T/N_seq) s aᵀ + λ)] Q_Aᵀ;
 * - `ekfac`: P = Q_S [(Q_Sᵀ V Q_A) ⊙ 1/(Λ + λ)] Q_Aᵀ.
 *
 * The divisor matrices come from the reference's `eigenvalueMatrices` and 1/(E + λ) is formed in float64
 * on the host before the f32 upload (WGSL has no f64); the rotations are batched GEMMs over the queries
 * with Q broadcast (four per layer), the division an elementwise product.
 *
 * @example
 * ```ts ignore
 * const damping = resolveDamping("ekfac", DEFAULT_DAMPING, { eigen, lambda });
 * const pre = new GpuPreconditioner(gpu, "ekfac", layers, { eigen, lambda }, damping);
 * const p = pre.apply(gradients); // Map<name, Tensor [Q, out, in]>
 * ```
 */
export class GpuPreconditioner {
  /** The device. */
  readonly gpu: Gpu;
  /** The strategy. */
  readonly strategy: InfluenceStrategy;
  /** Tracked layers, in the order of the results. */
  readonly layers: readonly TrackedLayer[];
  readonly #inverse = new Map<string, Tensor<"f32">>();
  readonly #bases: Map<string, EigenbasisTensors> | null;
  readonly #scratch: ScratchTensors;

  /**
   * Uploads what the strategy needs.
   *
   * @param gpu The device.
   * @param strategy The preconditioner.
   * @param layers Tracked layers (shapes).
   * @param factors Fitted factors (float64, as the reference takes them).
   * @param damping λ per layer from `resolveDamping` (ignored by `identity`).
   * @throws {RangeError} When a factor or damping value the strategy needs is missing or misshapen.
   */
  constructor(
    gpu: Gpu,
    strategy: InfluenceStrategy,
    layers: readonly TrackedLayer[],
    factors: PreconditionFactors,
    damping: ReadonlyMap<string, number>,
  ) {
    this.gpu = gpu;
    this.strategy = strategy;
    this.layers = layers;
    this.#scratch = new ScratchTensors(gpu);
    this.#bases = null;
    if (strategy === "identity") return;
    const values = eigenvalueMatrices(strategy, factors);
    for (const { name, outDim, inDim } of layers) {
      const lambda = damping.get(name), matrix = values.get(name);
      if (lambda === undefined || matrix?.length !== outDim * inDim) {
        throw new RangeError(`GpuPreconditioner: missing damping or ${strategy} factors for ${name}`);
      }
      const inverse = Float32Array.from(matrix, (e) => 1 / (e + lambda));
      this.#inverse.set(name, Tensor.from(gpu, inverse, [outDim, inDim]));
    }
    if (strategy !== "diagonal") {
      if (factors.eigen === undefined) {
        throw new RangeError(`GpuPreconditioner: ${strategy} needs the eigenbases`);
      }
      this.#bases = uploadEigenbases(gpu, layers, factors.eigen, "GpuPreconditioner");
    }
  }

  /**
   * Records preconditioning a batch of query gradients.
   *
   * @param gradients V per layer name, f32 [Q, out, in] (Q queries stacked; the same Q for every layer).
   * @returns P per layer name, new f32 tensors [Q, out, in] owned by the caller, in layer order.
   * @throws {RangeError} When a gradient is missing or its size is not a multiple of out·in, or the
   *   layers disagree on Q.
   */
  apply(gradients: ReadonlyMap<string, Tensor>): Map<string, Tensor<"f32">> {
    const queries = queryCount("GpuPreconditioner.apply()", this.layers, gradients);
    const result = new Map<string, Tensor<"f32">>();
    for (const { name, outDim, inDim } of this.layers) {
      const v = gradients.get(name)!, size = outDim * inDim, shape = [queries, outDim, inDim];
      const p = Tensor.zeros(this.gpu, shape);
      result.set(name, p);
      if (queries === 0) continue;
      if (this.strategy === "identity") {
        copy(v, p);
        continue;
      }
      const inverse = this.#inverse.get(name)!;
      if (this.strategy === "diagonal") {
        mul(v, inverse, p);
        continue;
      }
      const { qa, qs } = this.#bases!.get(name)!;
      const x = this.#scratch.get(`x-${outDim}-${inDim}`, shape);
      const y = this.#scratch.get(`y-${outDim}-${inDim}`, shape);
      const batched = { m: outDim, n: inDim, batch: queries, strideC: size };
      matmul(qs, v, x, { ...batched, k: outDim, transA: true, strideA: 0, strideB: size }); // Q_Sᵀ V
      matmul(x, qa, y, { ...batched, k: inDim, strideA: size, strideB: 0 }); // (Q_Sᵀ V) Q_A
      mul(y, inverse, x); // ⊙ 1/(E + λ)
      matmul(qs, x, y, { ...batched, k: outDim, strideA: 0, strideB: size }); // Q_S (·)
      matmul(y, qa, p, { ...batched, k: inDim, transB: true, strideA: size, strideB: 0 }); // (·) Q_Aᵀ
    }
    return result;
  }

  /** Releases the uploaded factors and work tensors (after the work recorded so far). */
  destroy(): void {
    this.gpu.flush();
    for (const t of this.#inverse.values()) t.destroy();
    for (const { qa, qs } of this.#bases?.values() ?? []) qa.destroy(), qs.destroy();
    this.#scratch.destroy();
  }
}

/**
 * Replaces every query's preconditioned gradient, layer by layer, by its best rank-k approximation:
 * one read-back of all of them, the reference's float64 `truncateRank` per (query, layer), and one upload
 * per layer (queries are few).
 *
 * @param layers Tracked layers (shapes).
 * @param preconditioned P per layer name, f32 [Q, out, in]; overwritten.
 * @param rank k ≥ 1.
 * @throws {RangeError} When the rank is not a positive integer or a tensor is missing or misshapen.
 */
export async function truncateRankGpu(
  layers: readonly TrackedLayer[],
  preconditioned: ReadonlyMap<string, Tensor>,
  rank: number,
): Promise<void> {
  if (!Number.isSafeInteger(rank) || rank < 1) {
    throw new RangeError(`truncateRankGpu(): rank must be a positive integer, got ${rank}`);
  }
  const queries = queryCount("truncateRankGpu()", layers, preconditioned);
  const tensors = layers.map(({ name }) => preconditioned.get(name)! as Tensor<"f32">);
  if (tensors.length === 0) return;
  const host = await readTensors(...tensors);
  layers.forEach(({ outDim, inDim }, l) => {
    const size = outDim * inDim, values = host[l];
    for (let q = 0; q < queries; q++) {
      const p = Float64Array.from(values.subarray(q * size, (q + 1) * size));
      values.set(truncateRank(p, outDim, inDim, rank), q * size);
    }
    tensors[l].write(values);
  });
}

/**
 * The query count Q shared by per-layer [Q, out, in] tensors.
 *
 * @param op Calling function, for messages.
 * @param layers Tracked layers.
 * @param tensors Tensors by layer name.
 * @returns Q.
 * @throws {RangeError} When a tensor is missing, not a whole number of layer matrices, or Q differs.
 * @throws {TypeError} When a tensor is not f32.
 */
export function queryCount(
  op: string,
  layers: readonly TrackedLayer[],
  tensors: ReadonlyMap<string, Tensor>,
): number {
  let queries = -1;
  for (const { name, outDim, inDim } of layers) {
    const t = tensors.get(name);
    if (t === undefined) throw new RangeError(`${op}: no tensor for ${name}`);
    if (t.dtype !== "f32") throw new TypeError(`${op}: the tensor of ${name} must be f32`);
    const q = t.size / (outDim * inDim);
    if (!Number.isInteger(q) || (queries >= 0 && q !== queries)) {
      throw new RangeError(
        `${op}: the tensor of ${name} is [${t.shape}], expected [Q, ${outDim}, ${inDim}]${
          queries >= 0 ? ` with Q = ${queries}` : ""
        }`,
      );
    }
    queries = q;
  }
  return Math.max(queries, 0);
}
