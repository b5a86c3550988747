/**
 * Shared pieces of the GPU Llama tests: configurations, f32 parameters with their exact f64 copies,
 * device batches, and gradient comparison against the f64 reference.
 *
 * @module
 */
import { type LlamaConfig, parseLlamaConfig } from "../../../engine/model/config.ts";
import { castParams, type LlamaParams } from "../../../engine/model/params.ts";
import type { Gpu } from "../../../engine/mod.ts";
import { Tensor } from "../../../engine/mod.ts";
import type { TrainBatch } from "../../../engine/train/trainable_model.ts";
import { assertClose, rng } from "../support.ts";
import { randomParams } from "../reference/tiny_llama.ts";

export { tinyConfig, TOKENS } from "../reference/tiny_llama.ts";

/**
 * Vocab 37, hidden 16, 4 heads sharing 2 key/value heads, intermediate 20, 2 layers: rows past one
 * 64-row workgroup when T = 70.
 *
 * @returns The configuration.
 */
export function midConfig(): LlamaConfig {
  return parseLlamaConfig({
    vocab_size: 37,
    hidden_size: 16,
    intermediate_size: 20,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 1000,
  });
}

/**
 * Random f32 parameters (weights normal(0, 0.4), gains normal(1, 0.3)) and their exact f64 copies.
 *
 * @param config The configuration.
 * @param seed Seed.
 * @returns Both precisions.
 */
export function paramsFor(
  config: LlamaConfig,
  seed = 11,
): { p32: LlamaParams; p64: LlamaParams<Float64Array> } {
  const p32 = castParams(randomParams(config, seed), Float32Array);
  return { p32, p64: castParams(p32, Float64Array) };
}

/** Host arrays of a batch. */
export interface HostBatch {
  ids: Int32Array;
  labels: Int32Array;
  weights: Float32Array;
  batch: number;
  seqLen: number;
}

/**
 * A random batch: ids and labels in [0, vocab), every 6th label −1, weights in [0, 2) with zeros.
 *
 * @param vocab Vocabulary size.
 * @param batch Sequences.
 * @param seqLen Tokens per sequence.
 * @param seed Seed.
 * @returns The host arrays.
 */
export function randomBatch(vocab: number, batch: number, seqLen: number, seed: number): HostBatch {
  const next = rng(seed), n = batch * seqLen;
  return {
    ids: Int32Array.from({ length: n }, () => Math.floor(next() * vocab)),
    labels: Int32Array.from({ length: n }, (_, r) => (r % 6 === 5 ? -1 : Math.floor(next() * vocab))),
    weights: Float32Array.from({ length: n }, (_, r) => (r % 7 === 3 ? 0 : next() * 2)),
    batch,
    seqLen,
  };
}

/**
 * Uploads a batch.
 *
 * @param gpu Device context.
 * @param b Host arrays.
 * @returns The device batch.
 */
export function deviceBatch(gpu: Gpu, b: HostBatch): TrainBatch {
  return {
    ids: Tensor.from(gpu, b.ids),
    labels: Tensor.from(gpu, b.labels),
    weights: Tensor.from(gpu, b.weights),
    batch: b.batch,
    seqLen: b.seqLen,
  };
}

/**
 * Asserts a gradient matches the f64 reference in relative 2-norm (≤ 2e-5) and elementwise to
 * atol = 1e-5·max|ref| and rtol = 1e-4 (f32 rounding scales with the tensor's magnitude). Measured:
 * 1e-6 relative on the tiny model, up to 5e-6 with 210 tokens.
 *
 * @param got GPU values.
 * @param expected Reference values.
 * @param what Name for messages.
 */
export function assertGradClose(got: ArrayLike<number>, expected: Float64Array, what: string): void {
  let diff = 0, norm = 0, largest = 0;
  for (let i = 0; i < got.length; i++) {
    diff += (got[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
    largest = Math.max(largest, Math.abs(expected[i]));
  }
  assertClose(got, expected, { atol: 1e-5 * largest, rtol: 1e-4 }, what);
  const relative = Math.sqrt(diff / Math.max(norm, 1e-30));
  if (!(relative <= 2e-5)) {
    throw new Error(`${what}: relative error ${relative.toExponential(2)} exceeds 2e-5`);
  }
}
