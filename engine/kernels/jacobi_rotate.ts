/**
 * One step of the parallel (round-robin) cyclic Jacobi eigenvalue method on a batch of symmetric
 * matrices; see `jacobi_rotate.wgsl` for the ordering and the rotation formulas.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./jacobi_rotate.wgsl" with { type: "text" };

/** The Jacobi step kernel: reads A and V, writes A' = JᵀAJ and V' = VJ. */
export const jacobiRotateKernel: Kernel = {
  name: "jacobi_rotate",
  source,
  bindings: ["uniform", "read", "read", "read_write", "read_write"],
};

/**
 * Steps per sweep of the round-robin ordering: every pair p < q of an n × n matrix is rotated once
 * in this many steps (n − 1 for even n, n for odd n).
 *
 * @param n The order.
 * @returns m − 1 with m = n rounded up to even (0 for n ≤ 1).
 */
export function jacobiStepsPerSweep(n: number): number {
  return n <= 1 ? 0 : n + (n % 2) - 1;
}

/**
 * Records one parallel Jacobi step on every matrix of a batch: A' = JᵀAJ and V' = VJ, where J rotates
 * the ⌈n/2⌉ disjoint pairs of round-robin step `step`.
 *
 * @param aIn A, f32 [batch, n, n], exactly symmetric.
 * @param vIn V, f32 [batch, n, n] (accumulated rotations, eigenvectors as columns).
 * @param aOut A', f32 [batch, n, n], a buffer distinct from the inputs.
 * @param vOut V', f32 [batch, n, n], a buffer distinct from the inputs.
 * @param step Step index within the sweep, 0 ≤ step < {@linkcode jacobiStepsPerSweep}(n).
 * @throws {RangeError} When shapes differ, are not [batch, n, n], or the step is out of range.
 * @throws {TypeError} When a tensor is not f32 or an output aliases an input.
 */
export function jacobiRotate(aIn: Tensor, vIn: Tensor, aOut: Tensor, vOut: Tensor, step: number): void {
  const shape = aIn.shape;
  const n = shape[shape.length - 1];
  if (shape.length !== 3 || shape[1] !== n) {
    throw new RangeError(`jacobiRotate: A must be [batch, n, n], got [${shape}]`);
  }
  for (const t of [aIn, vIn, aOut, vOut]) {
    if (t.dtype !== "f32") throw new TypeError(`jacobiRotate: tensors must be f32, got ${t.dtype}`);
    if (t.size !== aIn.size) throw new RangeError(`jacobiRotate: [${t.shape}] differs from A's [${shape}]`);
  }
  const outputs = [aOut.buffer, vOut.buffer];
  if (
    aOut.buffer === vOut.buffer || outputs.includes(aIn.buffer) || outputs.includes(vIn.buffer)
  ) {
    throw new TypeError("jacobiRotate: outputs must not share a buffer with each other or an input");
  }
  const steps = jacobiStepsPerSweep(n);
  if (!Number.isInteger(step) || step < 0 || step >= steps) {
    throw new RangeError(`jacobiRotate: step ${step} is outside 0..${steps - 1} for n = ${n}`);
  }
  const half = (n + (n % 2)) / 2;
  aIn.gpu.dispatch(jacobiRotateKernel, {
    params: new Params().u32(n, half, step),
    resources: [aIn.buffer, vIn.buffer, aOut.buffer, vOut.buffer],
    workgroups: [Math.ceil(half / 8), Math.ceil(half / 8), shape[0]],
  });
}
