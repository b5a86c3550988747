/**
 * Label sampling from the model's softmax with a counter-based generator (Philox-4x32-10), exactly
 * reproducible and bit-identical to `engine/cpu/sample_labels.ts` for the same f32 logits (e.g. the
 * labels of the true Fisher in EK-FAC). Three passes over parts of {@linkcode SAMPLE_CHUNK} entries,
 * so that no invocation loops over a whole row of a large vocabulary (CPU rasterisers cap an
 * invocation at 65535 loop iterations): per (row, part) the maximum quantised logit, per (row, part)
 * the total weight, per row the draw. Integer sums, so the labels do not depend on the parts.
 *
 * @module
 */
import { type SampleLabelsOptions, samplingWords } from "../cpu/sample_labels.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { logitBinding, type LogitKernels, logitKernels } from "./flat_logits.ts";
import { linearGrid } from "./grid.ts";
import commonSource from "./sample_labels_common.wgsl" with { type: "text" };
import maxSource from "./sample_labels_max.wgsl" with { type: "text" };
import totalsSource from "./sample_labels_totals.wgsl" with { type: "text" };
import drawSource from "./sample_labels.wgsl" with { type: "text" };
import { exp2TableWgsl, MAX_SAMPLING_VOCAB, samplingShift } from "./sample_labels_spec.ts";

/** Vocabulary entries per part (each invocation loops at most parts·2 + this many times). */
export const SAMPLE_CHUNK = 4096;

const withCommon = (source: string) => `${exp2TableWgsl()}\n${commonSource}\n${source}`;

/** Pass 1, per (row, part) maximum (constants `CHUNK`, `MASKED`). */
export const sampleLabelsMaxKernels: LogitKernels = logitKernels(
  "sample_labels_max",
  withCommon(maxSource),
  ["read", "read_write"],
);

/** Pass 2, per (row, part) total weight (constants `CHUNK`, `MASKED`). */
export const sampleLabelsTotalsKernels: LogitKernels = logitKernels(
  "sample_labels_totals",
  withCommon(totalsSource),
  ["read", "read", "read_write"],
);

/** Pass 3, one draw per row (constants `CHUNK`, `MASKED`). */
export const sampleLabelsKernels: LogitKernels = logitKernels(
  "sample_labels",
  withCommon(drawSource),
  ["read", "read", "read", "read_write"],
);

/**
 * Records drawing `labels[r]` from softmax(logits[r]) for every row.
 *
 * @param logits Scores, f32 [rows, vocab].
 * @param labels Output, i32 [rows].
 * @param options Seed, draw index and row offset (row r uses counter (rowOffset + r, draw, 0, 0)).
 * @param mask Optional i32 [rows] (e.g. the real labels): rows with mask[r] < 0 get −1.
 * @throws {TypeError} On wrong dtypes or aliasing.
 * @throws {RangeError} When sizes disagree, vocab exceeds {@linkcode MAX_SAMPLING_VOCAB}, rows·vocab
 * reaches 2³², or an option is out of range.
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
  if (logits.size >= 2 ** 32) {
    throw new RangeError(`sampleLabels: logits [${logits.shape}] must hold fewer than 2^32 values`);
  }
  if (mask !== undefined && mask.size !== rows) {
    throw new RangeError(`sampleLabels: mask must have ${rows} elements`);
  }
  if (labels.buffer === logits.buffer || labels.buffer === mask?.buffer) {
    throw new TypeError("sampleLabels: labels must not share a buffer with an input");
  }
  const [seedLo, seedHi, draw, rowOffset] = samplingWords(options);
  if (rows === 0) return;
  const gpu = logits.gpu, parts = Math.ceil(vocab / SAMPLE_CHUNK);
  const request = {
    constants: { CHUNK: SAMPLE_CHUNK, MASKED: mask !== undefined },
    params: new Params().u32(rows, vocab, parts, samplingShift(vocab), seedLo, seedHi, draw, rowOffset),
  };
  const source = logitBinding(logits, "sample-labels-logits");
  const maskBuffer = mask?.buffer ?? gpu.scratchBuffer("sample-labels-no-mask", 16);
  const partMax = gpu.scratchBuffer("sample-labels-max", rows * parts * 4);
  const partTotal = gpu.scratchBuffer("sample-labels-total", rows * parts * 4);
  const perPart = linearGrid(gpu, rows * parts);
  gpu.dispatch(sampleLabelsMaxKernels[source.form], {
    ...request,
    resources: [source.resource, maskBuffer, partMax],
    workgroups: perPart,
  });
  gpu.dispatch(sampleLabelsTotalsKernels[source.form], {
    ...request,
    resources: [source.resource, maskBuffer, partMax, partTotal],
    workgroups: perPart,
  });
  gpu.dispatch(sampleLabelsKernels[source.form], {
    ...request,
    resources: [source.resource, maskBuffer, partMax, partTotal, labels.buffer],
    workgroups: linearGrid(gpu, rows),
  });
}
