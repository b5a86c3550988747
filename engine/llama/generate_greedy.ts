/**
 * Greedy decoding with a key/value cache, all prompts batched together.
 *
 * @module
 */
import { argmax } from "../kernels/argmax.ts";
import { Tensor } from "../tensor.ts";
import type { GpuLlama } from "./gpu_llama.ts";

/** Options of {@linkcode generateGreedy}. */
export interface GreedyOptions {
  /** Most new tokens per prompt. */
  maxNewTokens: number;
  /** Token that ends a completion (not included in it); none by default. */
  eosId?: number;
  /**
   * Called after each decoding position with the positions done and the most there can be
   * (`longest prompt − shortest prompt + maxNewTokens`); the last call, when every sequence has
   * ended, reports `done === total`.
   */
  onStep?: (done: number, total: number) => void;
}

/**
 * Completes every prompt with the most likely next token until `eosId` or `maxNewTokens`.
 *
 * The shortest prompt length L0 is prefilled in one forward pass over all prompts; then each step
 * runs one forward over one token per sequence at a shared position, reading the others from the
 * cache (sequences still inside a longer prompt are fed their prompt tokens). Each step reads back
 * at most the B chosen ids, and only when some sequence is generating.
 *
 * @param model The model.
 * @param prompts Token ids of each prompt (non-empty).
 * @param options Length limit and end token.
 * @returns The new tokens of each prompt, stopping at (and excluding) `eosId`.
 * @throws {RangeError} On an empty prompt, a token outside the vocabulary, or a bad `maxNewTokens`.
 * @example
 * ```ts ignore
 * import { generateGreedy } from "./generate_greedy.ts";
 * const [completion] = await generateGreedy(model, [new Int32Array([1, 5, 7])], { maxNewTokens: 8, eosId: 2 });
 * ```
 */
export async function generateGreedy(
  model: GpuLlama,
  prompts: readonly Int32Array[],
  options: GreedyOptions,
): Promise<Int32Array[]> {
  const { maxNewTokens, eosId, onStep } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new RangeError(`generateGreedy: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  }
  const vocab = model.config.vocabSize;
  prompts.forEach((prompt, b) => {
    if (prompt.length === 0) throw new RangeError(`generateGreedy: prompt ${b} is empty`);
    const bad = prompt.find((id) => !(id >= 0 && id < vocab));
    if (bad !== undefined) {
      throw new RangeError(`generateGreedy: prompt ${b} has token ${bad} outside [0, ${vocab})`);
    }
  });
  const batch = prompts.length;
  const produced: number[][] = prompts.map(() => []);
  if (batch === 0 || maxNewTokens === 0) return produced.map((p) => Int32Array.from(p));
  const lengths = prompts.map((p) => p.length);
  const shortest = Math.min(...lengths), longest = Math.max(...lengths);
  const gpu = model.gpu;
  const cache = model.createKvCache(batch, longest + maxNewTokens);
  const prefill = new Int32Array(batch * shortest);
  prompts.forEach((p, b) => prefill.set(p.subarray(0, shortest), b * shortest));
  const prefillIds = Tensor.from(gpu, prefill);
  const stepIds = Tensor.zeros(gpu, [batch], "i32");
  const chosen = Tensor.zeros(gpu, [batch], "i32");
  const done = prompts.map(() => false);
  const positions = longest - shortest + maxNewTokens;
  try {
    let logits = model.forwardCached(prefillIds, cache, 0, shortest);
    argmax(logits, chosen, { stride: shortest * vocab, offset: (shortest - 1) * vocab });
    // `chosen` holds each sequence's prediction for position `pos` + 1.
    for (let pos = shortest - 1;; pos++) {
      const generating = lengths.flatMap((len, b) => (!done[b] && pos >= len - 1 ? [b] : []));
      if (generating.length > 0) {
        const ids = await chosen.read();
        for (const b of generating) {
          if (ids[b] === eosId) done[b] = true;
          else produced[b].push(ids[b]);
          if (produced[b].length === maxNewTokens) done[b] = true;
        }
      }
      if (done.every((d) => d)) {
        onStep?.(positions, positions);
        break;
      }
      onStep?.(pos - shortest + 2, positions);
      const next = pos + 1;
      stepIds.write(
        Int32Array.from(prompts, (p, b) => (next < p.length ? p[next] : produced[b].at(-1) ?? 0)),
      );
      logits = model.forwardCached(stepIds, cache, next, 1);
      argmax(logits, chosen);
    }
  } finally {
    gpu.flush();
    for (const t of [prefillIds, stepIds, chosen]) t.destroy();
    cache.destroy();
  }
  return produced.map((p) => Int32Array.from(p));
}
