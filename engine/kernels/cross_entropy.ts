/**
 * Weighted softmax cross-entropy over the vocabulary: per-row losses and label log-probabilities,
 * optionally the logit gradient, and the deterministic sum of the row losses.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./cross_entropy.wgsl" with { type: "text" };
import textureSource from "./cross_entropy_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";
import { linearGrid } from "./grid.ts";
import { sumAll } from "./reduce.ts";

/** Cross-entropy, one row per invocation (constant `GRAD`). */
export const crossEntropyKernel: Kernel = {
  name: "cross_entropy",
  source,
  bindings: ["uniform", "read", "read", "read", "read_write", "read_write", "read_write"],
};

/** {@linkcode crossEntropyKernel} reading the logits from a flat texture copy (CPU rasterisers). */
export const crossEntropyTextureKernel: Kernel = {
  name: "cross_entropy_texture",
  source: textureSource,
  bindings: ["uniform", "texture_read", "read", "read", "read_write", "read_write", "read_write"],
};

/** Outputs of {@linkcode crossEntropy}. */
export interface CrossEntropyOutputs {
  /** −weights[r]·log p(labels[r]) per row (0 without a target), [rows]. */
  rowLoss: Tensor;
  /** log p(labels[r]) per row (0 without a target), [rows]. */
  logProbs: Tensor;
  /** Receives Σ_r rowLoss[r], summed in a fixed order, [1] (optional). */
  loss?: Tensor;
  /** Receives weights[r]·(softmax(logits[r]) − onehot(labels[r])), [rows, vocab] (optional). */
  dLogits?: Tensor;
}

/**
 * Records the weighted cross-entropy of `logits` against integer `labels`. A label < 0 or ≥ vocab
 * means "no target": the row adds nothing to the loss and its gradient is zero.
 *
 * @param logits Scores, [rows, vocab] row-major.
 * @param labels Targets, i32 [rows].
 * @param weights Per-row weights, f32 [rows].
 * @param out Output tensors (distinct buffers).
 * @throws {TypeError} On wrong dtypes or aliasing.
 * @throws {RangeError} When shapes disagree.
 */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  weights: Tensor,
  out: CrossEntropyOutputs,
): void {
  const vocab = logits.shape[logits.shape.length - 1];
  const rows = labels.size;
  if (labels.dtype !== "i32") throw new TypeError(`crossEntropy: labels must be i32, got ${labels.dtype}`);
  for (const t of [logits, weights, out.rowLoss, out.logProbs, out.loss, out.dLogits]) {
    if (t !== undefined && t.dtype !== "f32") {
      throw new TypeError(`crossEntropy: values must be f32, got ${t.dtype}`);
    }
  }
  if (!(vocab > 0) || logits.size !== rows * vocab) {
    throw new RangeError(`crossEntropy: logits [${logits.shape}] do not hold ${rows} rows`);
  }
  if (weights.size !== rows || out.rowLoss.size !== rows || out.logProbs.size !== rows) {
    throw new RangeError(`crossEntropy: weights, rowLoss and logProbs must have ${rows} elements`);
  }
  if (out.loss !== undefined && out.loss.size !== 1) {
    throw new RangeError("crossEntropy: loss must have 1 element");
  }
  if (out.dLogits !== undefined && out.dLogits.size !== logits.size) {
    throw new RangeError(`crossEntropy: dLogits must have ${logits.size} elements`);
  }
  const written = [out.rowLoss, out.logProbs, out.loss, out.dLogits].filter((t) => t !== undefined);
  const buffers = [logits, labels, weights, ...written].map((t) => t.buffer);
  if (new Set(buffers).size !== buffers.length) {
    throw new TypeError("crossEntropy: outputs must not share buffers with inputs or each other");
  }
  const gpu = logits.gpu;
  if (rows > 0) {
    // CPU rasterisers read the logits from a flat texture copy (bit-identical).
    const texture = gpu.software && logits.size % 4 === 0;
    gpu.dispatch(texture ? crossEntropyTextureKernel : crossEntropyKernel, {
      constants: { GRAD: out.dLogits !== undefined },
      params: new Params().u32(rows, vocab),
      resources: [
        texture ? flatTexture(gpu, "cross-entropy-logits", logits.buffer, logits.size) : logits.buffer,
        labels.buffer,
        weights.buffer,
        out.rowLoss.buffer,
        out.logProbs.buffer,
        out.dLogits?.buffer ?? gpu.scratchBuffer("cross-entropy-no-grad", 16),
      ],
      workgroups: linearGrid(gpu, rows),
    });
  }
  if (out.loss !== undefined) sumAll(out.rowLoss, out.loss);
}
