/**
 * CPU reference of global gradient-norm clipping, accumulating in f64.
 *
 * @module
 */

/**
 * The global norm of a set of gradients and the factor that clips it to `maxNorm`, as
 * `reduce("sumsq", "all", …)` followed by `gradClipFactor` compute them on the GPU.
 *
 * @param grads Gradient tensors' values.
 * @param maxNorm Largest allowed global norm.
 * @returns `norm = √(Σ g²)` and `clip = min(1, maxNorm / (norm + 1e-6))`.
 * @example
 * ```ts
 * import { gradClipCpu } from "./grad_clip.ts";
 * const { norm, clip } = gradClipCpu([new Float32Array([3]), new Float32Array([4])], 1);
 * console.assert(norm === 5 && Math.abs(clip - 0.2) < 1e-6);
 * ```
 */
export function gradClipCpu(grads: readonly Float32Array[], maxNorm: number): { norm: number; clip: number } {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const norm = Math.sqrt(sum);
  return { norm, clip: Math.min(1, maxNorm / (norm + 1e-6)) };
}
