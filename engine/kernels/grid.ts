/**
 * Workgroup grids for one-dimensional kernels over more elements than one dispatch dimension holds.
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";

/** Invocations per workgroup of the engine's 1-D kernels (`@workgroup_size(64)`). */
export const LINEAR_WORKGROUP = 64;

/**
 * Workgroup counts covering `count` invocations with 64-wide workgroups, folded into (x, y) when x
 * would exceed the per-dimension limit. Kernels recover the linear index as
 * `(wg.y · num_workgroups.x + wg.x) · 64 + local.x` and must bounds-check it.
 *
 * @param gpu Device context (for the limit).
 * @param count Number of invocations needed.
 * @returns Workgroup counts `[x, y, 1]`.
 */
export function linearGrid(gpu: Gpu, count: number): [number, number, number] {
  const groups = Math.ceil(count / LINEAR_WORKGROUP);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1, 1];
  const y = Math.ceil(groups / max);
  return [Math.ceil(groups / y), y, 1];
}
