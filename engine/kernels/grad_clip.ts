/**
 * The global gradient-norm clip factor, computed on the GPU from per-tensor sums of squares.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./grad_clip.wgsl" with { type: "text" };

/** The clip-factor kernel (one invocation). */
export const gradClipKernel: Kernel = {
  name: "grad_clip",
  source,
  bindings: ["uniform", "read", "read_write"],
};

/**
 * Records `out = [norm, clip]` with `norm = √(Σ sumsq)` (summed in index order) and
 * `clip = min(1, maxNorm / (norm + 1e-6))`.
 *
 * @param sumsq Sums of squares of each gradient tensor (f32).
 * @param maxNorm Largest allowed global norm (positive).
 * @param out Output (f32, at least 2 elements), in a buffer distinct from `sumsq`'s.
 * @throws {RangeError} When `maxNorm` is not positive or `out` is too small.
 * @throws {TypeError} When a tensor is not f32 or `out` aliases `sumsq`.
 */
export function gradClipFactor(sumsq: Tensor, maxNorm: number, out: Tensor): void {
  if (sumsq.dtype !== "f32" || out.dtype !== "f32") {
    throw new TypeError("gradClipFactor: tensors must be f32");
  }
  if (sumsq.buffer === out.buffer) throw new TypeError("gradClipFactor: out must not share sumsq's buffer");
  if (!(maxNorm > 0)) throw new RangeError(`gradClipFactor: maxNorm must be positive, got ${maxNorm}`);
  if (out.size < 2) throw new RangeError(`gradClipFactor: out needs 2 elements, got ${out.size}`);
  sumsq.gpu.dispatch(gradClipKernel, {
    params: new Params().u32(sumsq.size).f32(maxNorm),
    resources: [sumsq.buffer, out.buffer],
    workgroups: [1],
  });
}
