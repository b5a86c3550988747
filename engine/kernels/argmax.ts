/**
 * Row-wise argmax of logits (greedy decoding), in two passes so that no invocation loops over a whole
 * row of a large vocabulary (CPU rasterisers cap an invocation at 65535 loop iterations): per (row,
 * part of {@linkcode ARGMAX_CHUNK} entries) the part's choice, then per row the first of the largest.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./argmax.wgsl" with { type: "text" };
import partsSource from "./argmax_parts.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Vocabulary entries per part of the first pass. */
export const ARGMAX_CHUNK = 4096;

/** Pass 1: per (row, part) first index of the largest entry and its value (constant `CHUNK`). */
export const argmaxPartsKernel: Kernel = {
  name: "argmax_parts",
  source: partsSource,
  bindings: ["uniform", "read", "read_write", "read_write"],
};

/** Pass 2: per row the parts' choices combined in part order. */
export const argmaxKernel: Kernel = {
  name: "argmax",
  source,
  bindings: ["uniform", "read", "read", "read_write"],
};

/** Which rows of the logits {@linkcode argmax} scans. */
export interface ArgmaxOptions {
  /** Elements between consecutive scanned rows (default: vocab, every row). */
  stride?: number;
  /** Element index of the first scanned row (default 0). */
  offset?: number;
}

/**
 * Records `ids[r] = argmax_v logits[offset + r·stride + v]` (first index on ties).
 *
 * @param logits Scores, f32 […, vocab].
 * @param ids Output, i32 [rows].
 * @param options Row stride and offset, e.g. the last position of each sequence.
 * @throws {TypeError} On wrong dtypes.
 * @throws {RangeError} When a scanned row falls outside `logits`, or it holds 2³² values or more.
 */
export function argmax(logits: Tensor, ids: Tensor, options: ArgmaxOptions = {}): void {
  const vocab = logits.shape[logits.shape.length - 1];
  const stride = options.stride ?? vocab, offset = options.offset ?? 0, rows = ids.size;
  if (logits.dtype !== "f32" || ids.dtype !== "i32") {
    throw new TypeError("argmax: logits must be f32 and ids i32");
  }
  if (!(vocab > 0) || (rows > 0 && offset + (rows - 1) * stride + vocab > logits.size)) {
    throw new RangeError(
      `argmax: ${rows} rows of stride ${stride} from ${offset} exceed logits [${logits.shape}]`,
    );
  }
  if (logits.size >= 2 ** 32) {
    throw new RangeError(`argmax: logits [${logits.shape}] must hold fewer than 2^32 values`);
  }
  if (rows === 0) return;
  const gpu = logits.gpu, parts = Math.ceil(vocab / ARGMAX_CHUNK);
  const params = new Params().u32(rows, vocab, stride, offset, parts);
  const best = gpu.scratchBuffer("argmax-best", rows * parts * 4);
  const bestValue = gpu.scratchBuffer("argmax-best-value", rows * parts * 4);
  gpu.dispatch(argmaxPartsKernel, {
    constants: { CHUNK: ARGMAX_CHUNK },
    params,
    resources: [logits.buffer, best, bestValue],
    workgroups: linearGrid(gpu, rows * parts),
  });
  gpu.dispatch(argmaxKernel, {
    params,
    resources: [best, bestValue, ids.buffer],
    workgroups: linearGrid(gpu, rows),
  });
}
