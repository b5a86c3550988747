/**
 * Padded device batches: the engine's (`engine/influence/pipeline/device_batch.ts`), re-exported for the
 * harness, and documents of a tokenized corpus by index.
 *
 * @module
 */
export { type DeviceBatch, SEQ_LEN_MULTIPLE, uploadSequences } from "../../engine/influence/pipeline/mod.ts";

/**
 * Documents of a tokenized corpus by index.
 *
 * @param corpus Tokens and offsets (document i is tokens[offsets[i] … offsets[i+1])).
 * @param index Document index.
 * @returns A view of its ids.
 */
export function documentIds(corpus: { tokens: Int32Array; offsets: Int32Array }, index: number): Int32Array {
  return corpus.tokens.subarray(corpus.offsets[index], corpus.offsets[index + 1]);
}
