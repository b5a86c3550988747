/**
 * Accumulated elementwise squares over a batch of equally shaped matrices (EK-FAC's Λ and the
 * Fisher diagonal D are running sums of squared per-sequence gradients).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./accumulate_squares.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** The accumulate-squares kernel, one output element per invocation. */
export const accumulateSquaresKernel: Kernel = {
  name: "accumulate_squares",
  source,
  bindings: ["uniform", "read", "read_write"],
};

/**
 * Records `acc[i] += Σ_{z < batch} x[offset + z·acc.size + i]²` (batch summed serially first).
 *
 * @param x Input, f32, holding `batch` consecutive items of `acc.size` elements from element `offset`.
 * @param batch Items summed.
 * @param acc Accumulator, f32, a different buffer from `x`.
 * @param offset Element index of the first item in `x` (default 0).
 * @throws {RangeError} When the items fall outside `x`.
 * @throws {TypeError} On wrong dtypes or aliasing.
 */
export function accumulateSquares(x: Tensor, batch: number, acc: Tensor, offset = 0): void {
  if (x.dtype !== "f32" || acc.dtype !== "f32") throw new TypeError("accumulateSquares: tensors must be f32");
  if (x.buffer === acc.buffer) throw new TypeError("accumulateSquares: acc must not share x's buffer");
  if (
    !Number.isInteger(batch) || batch < 0 || !Number.isInteger(offset) || offset < 0 ||
    offset + batch * acc.size > x.size
  ) {
    throw new RangeError(
      `accumulateSquares: ${batch} items of ${acc.size} from element ${offset} exceed x [${x.shape}]`,
    );
  }
  if (acc.size === 0 || batch === 0) return;
  x.gpu.dispatch(accumulateSquaresKernel, {
    params: new Params().u32(acc.size, batch, offset),
    resources: [x.buffer, acc.buffer],
    workgroups: linearGrid(x.gpu, acc.size),
  });
}
