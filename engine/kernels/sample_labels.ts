/**
 * Label sampling from the model's softmax with a counter-based generator (Philox-4x32-10), exactly
 * reproducible and bit-identical to `engine/cpu/sample_labels.ts` for the same f32 logits (e.g. the
 * labels of the true Fisher in EK-FAC).
 *
 * @module
 */
import { type SampleLabelsOptions, samplingWords } from "../cpu/sample_labels.ts";
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./sample_labels.wgsl" with { type: "text" };
import { exp2TableWgsl, MAX_SAMPLING_VOCAB } from "./sample_labels_spec.ts";

/** Label sampling, one row per invocation (constant `MASKED`; the host prepends `EXP2_TABLE`). */
export const sampleLabelsKernel: Kernel = {
  name: "sample_labels",
  source: `${exp2TableWgsl()}\n${source}`,
  bindings: ["uniform", "read", "read", "read_write"],
};

/**
 * Records drawing `labels[r]` from softmax(logits[r]) for every row.
 *
 * @param logits Scores, f32 [rows, vocab].
 * @param labels Output, i32 [rows].
 * @param options Seed, draw index and row offset (row r uses counter (rowOffset + r, draw, 0, 0)).
 * @param mask Optional i32 [rows] (e.g. the real labels): rows with mask[r] < 0 get −1.
 * @throws {TypeError} On wrong dtypes or aliasing.
 * @throws {RangeError} When sizes disagree, vocab exceeds 131071, or an option is out of range.
 */
export function sampleLabels(
  logits: Tensor,
  labels: Tensor,
  options: SampleLabelsOptions,
  mask?: Tensor,
): void {
  const rows = labels.size, vocab = logits.shape[logits.shape.length - 1];
  if (logits.dtype !== "f32") throw new TypeError(`sampleLabels: logits must be f32, got ${logits.dtype}`);
  if (labels.dtype !== "i32" || (mask !== undefined && mask.dtype !== "i32")) {
    throw new TypeError("sampleLabels: labels and mask must be i32");
  }
  if (!(vocab >= 1 && vocab <= MAX_SAMPLING_VOCAB) || logits.size !== rows * vocab) {
    throw new RangeError(
      `sampleLabels: logits [${logits.shape}] must hold ${rows} rows of 1..${MAX_SAMPLING_VOCAB}`,
    );
  }
  if (mask !== undefined && mask.size !== rows) {
    throw new RangeError(`sampleLabels: mask must have ${rows} elements`);
  }
  if (labels.buffer === logits.buffer || labels.buffer === mask?.buffer) {
    throw new TypeError("sampleLabels: labels must not share a buffer with an input");
  }
  const [seedLo, seedHi, draw, rowOffset] = samplingWords(options);
  if (rows === 0) return;
  logits.gpu.dispatch(sampleLabelsKernel, {
    constants: { MASKED: mask !== undefined },
    params: new Params().u32(rows, vocab, seedLo, seedHi, draw, rowOffset),
    resources: [
      logits.buffer,
      mask?.buffer ?? logits.gpu.scratchBuffer("sample-labels-no-mask", 16),
      labels.buffer,
    ],
    workgroups: linearGrid(logits.gpu, rows),
  });
}
