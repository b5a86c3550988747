/**
 * Row-wise argmax of logits (greedy decoding).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./argmax.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Row-wise argmax, one row per invocation. */
export const argmaxKernel: Kernel = { name: "argmax", source, bindings: ["uniform", "read", "read_write"] };

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
 * @throws {RangeError} When a scanned row falls outside `logits`.
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
  if (rows === 0) return;
  logits.gpu.dispatch(argmaxKernel, {
    params: new Params().u32(rows, vocab, stride, offset),
    resources: [logits.buffer, ids.buffer],
    workgroups: linearGrid(logits.gpu, rows),
  });
}
