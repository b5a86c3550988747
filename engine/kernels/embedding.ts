/**
 * Token embedding lookup (a gather of table rows).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./embedding.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Embedding gather, one element per invocation. */
export const embeddingKernel: Kernel = {
  name: "embedding",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/**
 * Checks an embedding call's tensors.
 *
 * @param op Calling function, for messages.
 * @param ids Token ids, i32 [rows].
 * @param table Table, f32 [vocab, dim].
 * @param rowsTensor The [rows, dim] tensor (output or output gradient).
 * @returns vocab and dim.
 * @throws {TypeError} On wrong dtypes.
 * @throws {RangeError} When shapes disagree.
 */
export function embeddingDims(op: string, ids: Tensor, table: Tensor, rowsTensor: Tensor): [number, number] {
  if (ids.dtype !== "i32") throw new TypeError(`${op}: ids must be i32, got ${ids.dtype}`);
  if (table.dtype !== "f32" || rowsTensor.dtype !== "f32") throw new TypeError(`${op}: values must be f32`);
  if (table.shape.length !== 2) {
    throw new RangeError(`${op}: table must be [vocab, dim], got [${table.shape}]`);
  }
  const [vocab, dim] = table.shape;
  if (rowsTensor.size !== ids.size * dim) {
    throw new RangeError(`${op}: expected ${ids.size} rows of ${dim}, got ${rowsTensor.size} elements`);
  }
  return [vocab, dim];
}

/**
 * Records `out[r] = table[ids[r]]` (zeros for ids outside [0, vocab)).
 *
 * @param ids Token ids, i32 [rows].
 * @param table Embedding table, [vocab, dim].
 * @param out Output, [rows, dim].
 * @throws {TypeError} On wrong dtypes or aliasing.
 * @throws {RangeError} When shapes disagree.
 */
export function embedding(ids: Tensor, table: Tensor, out: Tensor): void {
  const [vocab, dim] = embeddingDims("embedding", ids, table, out);
  if (out.buffer === table.buffer || out.buffer === ids.buffer) {
    throw new TypeError("embedding: out must not share a buffer with an input");
  }
  if (out.size === 0) return;
  out.gpu.dispatch(embeddingKernel, {
    params: new Params().u32(out.size, dim, vocab),
    resources: [ids.buffer, table.buffer, out.buffer],
    workgroups: linearGrid(out.gpu, out.size),
  });
}
