/**
 * Key/value cache for incremental decoding: per decoder block, a texture holding the rotated
 * q|k|v rows of every position decoded so far (the layout `attention.wgsl` reads).
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import { type AttentionTexture, createAttentionTexture } from "../kernels/attention_texture.ts";
import type { LlamaDims } from "./llama_dims.ts";

/** Cached projections of B sequences, up to `maxLen` positions each. */
export class KvCache {
  /** Sequences B. */
  readonly batch: number;
  /** Positions per sequence the cache can hold. */
  readonly maxLen: number;
  /** Per block: [(H+2KV)·hd / 4 texels, maxLen rows, B layers]. */
  readonly textures: readonly AttentionTexture[];

  /**
   * Allocates the cache.
   *
   * @param gpu Device context.
   * @param dims Model widths.
   * @param batch Sequences B.
   * @param maxLen Positions per sequence.
   * @throws {RangeError} When the textures exceed the device's limits.
   */
  constructor(gpu: Gpu, dims: LlamaDims, batch: number, maxLen: number) {
    this.batch = batch;
    this.maxLen = maxLen;
    this.textures = Array.from(
      { length: dims.layers },
      (_, l) => createAttentionTexture(gpu, dims.qkv / 4, maxLen, batch, `kv cache layer ${l}`),
    );
  }

  /** Releases the textures (submitted work that reads them still completes). */
  destroy(): void {
    for (const t of this.textures) t.texture.destroy();
  }
}
