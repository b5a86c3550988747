/**
 * Deterministic embedding gradient without atomics: sort keys into a texture
 * (`embedding_keys.wgsl`), rank them with a stable counting sort (`embedding_rank.wgsl`), then sum
 * each vocabulary row's run of output gradients in row order (`embedding_backward.wgsl`).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import backwardSource from "./embedding_backward.wgsl" with { type: "text" };
import { embeddingDims } from "./embedding.ts";
import keysSource from "./embedding_keys.wgsl" with { type: "text" };
import rankSource from "./embedding_rank.wgsl" with { type: "text" };
import { linearGrid } from "./grid.ts";

/** Writes sort keys into a texture (constant `KEY_WIDTH`). */
export const embeddingKeysKernel: Kernel = {
  name: "embedding_keys",
  source: keysSource,
  bindings: ["uniform", "read", "texture_write"],
};

/** Stable counting sort of the keys (constant `KEY_WIDTH`). */
export const embeddingRankKernel: Kernel = {
  name: "embedding_rank",
  source: rankSource,
  bindings: ["uniform", "texture_read", "read_write", "read_write"],
};

/** Per-vocabulary-row sums of the sorted gradient rows (constant `ACCUMULATE`). */
export const embeddingBackwardKernel: Kernel = {
  name: "embedding_backward",
  source: backwardSource,
  bindings: ["uniform", "read", "read", "read", "read_write"],
};

/** Texels per row of the key texture (4 keys each). */
const KEY_WIDTH = 1024;

/**
 * Records `dTable[v] (+)= Σ_{r : ids[r] = v} dy[r]`, summed in increasing r; rows whose id is
 * outside [0, vocab) contribute nothing.
 *
 * @param ids Token ids, i32 [rows].
 * @param dy Gradient with respect to the looked-up rows, [rows, dim].
 * @param dTable Receives the table gradient, [vocab, dim].
 * @param options `accumulate`: add to `dTable` (e.g. a tied lm_head gradient) instead of overwriting.
 * @throws {TypeError} On wrong dtypes or aliasing.
 * @throws {RangeError} When shapes disagree or vocab ≥ 2²⁴.
 */
export function embeddingBackward(
  ids: Tensor,
  dy: Tensor,
  dTable: Tensor,
  options: { accumulate?: boolean } = {},
): void {
  const [vocab, dim] = embeddingDims("embeddingBackward", ids, dTable, dy);
  if (vocab >= 2 ** 24) throw new RangeError(`embeddingBackward: vocab ${vocab} must be below 2^24`);
  if (dTable.buffer === dy.buffer || dTable.buffer === ids.buffer) {
    throw new TypeError("embeddingBackward: dTable must not share a buffer with an input");
  }
  const gpu = dy.gpu, rows = ids.size, accumulate = options.accumulate ?? false;
  if (dTable.size === 0) return;
  if (rows === 0) {
    if (!accumulate) gpu.clearBuffer(dTable.buffer, 0, dTable.byteLength);
    return;
  }
  const texels = Math.ceil(rows / 4);
  const keys = gpu.scratchTexture("embedding-keys", KEY_WIDTH, Math.ceil(texels / KEY_WIDTH), 1);
  const perm = gpu.scratchBuffer("embedding-perm", rows * 4);
  const sorted = gpu.scratchBuffer("embedding-sorted", rows * 4);
  gpu.dispatch(embeddingKeysKernel, {
    constants: { KEY_WIDTH },
    params: new Params().u32(rows, vocab, texels),
    resources: [ids.buffer, keys.view],
    workgroups: linearGrid(gpu, texels),
  });
  gpu.dispatch(embeddingRankKernel, {
    constants: { KEY_WIDTH },
    params: new Params().u32(rows, texels),
    resources: [keys.view, perm, sorted],
    workgroups: linearGrid(gpu, rows),
  });
  const y = Math.min(vocab, gpu.limits.maxComputeWorkgroupsPerDimension);
  gpu.dispatch(embeddingBackwardKernel, {
    constants: { ACCUMULATE: accumulate },
    params: new Params().u32(rows, dim, vocab),
    resources: [perm, sorted, dy.buffer, dTable.buffer],
    workgroups: [Math.ceil(dim / 64), y, Math.ceil(vocab / y)],
  });
}
