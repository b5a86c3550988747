/**
 * Weighted softmax cross-entropy over the vocabulary: per-row losses and label log-probabilities,
 * optionally the logit gradient, and the deterministic sum of the row losses. Three passes, so that no
 * invocation loops over a whole row of a large vocabulary (CPU rasterisers cap an invocation at 65535
 * loop iterations; a GPU gets rows × parts invocations instead of rows): per (row, part of
 * {@linkcode CROSS_ENTROPY_CHUNK} entries) the part's max and Σ exp; per row the log-sum-exp, loss and
 * log-probability; per element the gradient. A vocabulary of one part gives the bits of one serial
 * pass over each row; on CPU rasterisers such a vocabulary, when a multiple of 4, takes that one pass
 * ({@linkcode crossEntropyTextureVec4Kernel}), with the same bits as the three.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import gradSource from "./cross_entropy_grad.wgsl" with { type: "text" };
import partsSource from "./cross_entropy_parts.wgsl" with { type: "text" };
import rowsSource from "./cross_entropy_rows.wgsl" with { type: "text" };
import textureVec4Source from "./cross_entropy_texture_vec4.wgsl" with { type: "text" };
import { logitBinding, type LogitKernels, logitKernels } from "./flat_logits.ts";
import { flatTexture } from "./flat_texture.ts";
import { linearGrid } from "./grid.ts";
import { sumAll } from "./reduce.ts";

/** Vocabulary entries per part of the first pass (2 loop iterations each per invocation). */
export const CROSS_ENTROPY_CHUNK = 4096;

/** Pass 1: per (row, part) max and Σ exp (constant `CHUNK`), logits from a buffer or a flat texture. */
export const crossEntropyPartsKernels: LogitKernels = logitKernels("cross_entropy_parts", partsSource, [
  "read_write",
]);

/** Pass 2: per row log-sum-exp, log-probability and weighted loss. */
export const crossEntropyRowsKernel: Kernel = {
  name: "cross_entropy_rows",
  source: rowsSource,
  bindings: ["uniform", "read", "read", "read", "read", "read_write", "read_write", "read_write"],
};

/** Pass 3: the logit gradient, one element per invocation, logits from a buffer or a flat texture. */
export const crossEntropyGradKernels: LogitKernels = logitKernels(
  "cross_entropy_grad",
  gradSource,
  ["read", "read", "read", "read_write"],
);

/**
 * The three passes in one, one row per invocation, for a vocabulary of one part
 * (≤ {@linkcode CROSS_ENTROPY_CHUNK}) that is a multiple of 4, on CPU rasterisers: whole texels of the
 * flat texture copy of the logits per row, dlogits written as vec4 (constant `GRAD`); bit-identical to
 * the three passes (from branch speed19: a training batch's 5120 × 1200 logits on contended llvmpipe,
 * 72 → 29 ms against the one-pass scalar texture kernel).
 */
export const crossEntropyTextureVec4Kernel: Kernel = {
  name: "cross_entropy_texture_vec4",
  source: textureVec4Source,
  bindings: ["uniform", "texture_read", "read", "read", "read_write", "read_write", "read_write"],
};

/**
 * How {@linkcode crossEntropy} reads the logits: the three passes from the buffer or its flat texture
 * copy, or the one-pass vec4 kernel ({@linkcode crossEntropyTextureVec4Kernel}) from the copy.
 */
export type CrossEntropyForm = keyof LogitKernels | "texture_vec4";

/** Whether {@linkcode crossEntropyTextureVec4Kernel} takes a vocabulary: one part, a multiple of 4. */
export function crossEntropyVec4Fits(vocab: number): boolean {
  return vocab % 4 === 0 && vocab <= CROSS_ENTROPY_CHUNK;
}

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
 * @param form Read the logits from the buffer or a flat texture copy, in three passes or (when
 * {@linkcode crossEntropyVec4Fits}) one vec4 pass; default on CPU rasterisers the vec4 pass where it
 * fits, else the texture when rows·vocab is a multiple of 4, elsewhere the buffer. The bits are the same
 * in every form.
 * @throws {TypeError} On wrong dtypes or aliasing.
 * @throws {RangeError} When shapes disagree, rows·vocab reaches 2³² (32-bit indices), or the vec4 form
 * is asked for a vocabulary it does not take.
 */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  weights: Tensor,
  out: CrossEntropyOutputs,
  form?: CrossEntropyForm,
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
  if (logits.size >= 2 ** 32) {
    throw new RangeError(`crossEntropy: logits [${logits.shape}] must hold fewer than 2^32 values`);
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
  if (form === "texture_vec4" && !crossEntropyVec4Fits(vocab)) {
    throw new RangeError(
      `crossEntropy: form texture_vec4 needs a vocabulary that is a multiple of 4 and at most ` +
        `${CROSS_ENTROPY_CHUNK}, got ${vocab}`,
    );
  }
  const gpu = logits.gpu;
  const vec4Default = form === undefined && gpu.software && crossEntropyVec4Fits(vocab);
  if (rows > 0 && (form === "texture_vec4" || vec4Default)) {
    gpu.dispatch(crossEntropyTextureVec4Kernel, {
      constants: { GRAD: out.dLogits !== undefined },
      params: new Params().u32(rows, vocab),
      resources: [
        flatTexture(gpu, "cross-entropy-logits", logits.buffer, logits.size),
        labels.buffer,
        weights.buffer,
        out.rowLoss.buffer,
        out.logProbs.buffer,
        out.dLogits?.buffer ?? gpu.scratchBuffer("cross-entropy-no-grad", 16),
      ],
      workgroups: linearGrid(gpu, rows),
    });
  } else if (rows > 0 && form !== "texture_vec4") {
    const parts = Math.ceil(vocab / CROSS_ENTROPY_CHUNK);
    const stats = gpu.scratchBuffer("cross-entropy-stats", rows * parts * 8);
    const lse = gpu.scratchBuffer("cross-entropy-lse", rows * 4);
    const source = logitBinding(logits, "cross-entropy-logits", form);
    const params = new Params().u32(rows, vocab, parts);
    gpu.dispatch(crossEntropyPartsKernels[source.form], {
      constants: { CHUNK: CROSS_ENTROPY_CHUNK },
      params,
      resources: [source.resource, stats],
      workgroups: linearGrid(gpu, rows * parts),
    });
    gpu.dispatch(crossEntropyRowsKernel, {
      params,
      resources: [
        logits.buffer,
        labels.buffer,
        weights.buffer,
        stats,
        out.rowLoss.buffer,
        out.logProbs.buffer,
        lse,
      ],
      workgroups: linearGrid(gpu, rows),
    });
    if (out.dLogits !== undefined) {
      gpu.dispatch(crossEntropyGradKernels[source.form], {
        params: new Params().u32(rows, vocab),
        resources: [source.resource, labels.buffer, weights.buffer, lse, out.dLogits.buffer],
        workgroups: linearGrid(gpu, logits.size),
      });
    }
  }
  if (out.loss !== undefined) sumAll(out.rowLoss, out.loss);
}
