/**
 * Textures the attention kernels read queries, keys, values and output gradients from. On CPU
 * rasterisers texture loads inside the O(T²) attention loops are an order of magnitude cheaper than
 * storage-buffer loads (measured on llvmpipe: 29 ms against 260 ms for one forward of 16×4 heads,
 * T = 256, hd = 16); on GPUs they go through the texture cache.
 *
 * Layout (rgba32float, 2-D array): layer = sequence b, row = token position, texel x of a row holds
 * elements 4x … 4x+3 of the corresponding buffer row (see {@link ./texture_pack.ts packRows}).
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";

/** An rgba32float 2-D array texture with its `2d-array` view. */
export interface AttentionTexture {
  /** The texture (usage STORAGE_BINDING | COPY_DST). */
  readonly texture: GPUTexture;
  /** View with dimension `2d-array`. */
  readonly view: GPUTextureView;
  /** Texels per row, rows, layers. */
  readonly size: readonly [number, number, number];
}

/**
 * Allocates an attention texture.
 *
 * @param gpu Device context.
 * @param width Texels per row.
 * @param rows Rows (token positions) per sequence.
 * @param layers Sequences.
 * @param label Debug label.
 * @returns The texture and its view.
 * @throws {RangeError} When a dimension exceeds the device's texture limits.
 */
export function createAttentionTexture(
  gpu: Gpu,
  width: number,
  rows: number,
  layers: number,
  label: string,
): AttentionTexture {
  const { maxTextureDimension2D: dim, maxTextureArrayLayers: maxLayers } = gpu.limits;
  if (width > dim || rows > dim) {
    throw new RangeError(
      `Cannot allocate attention texture "${label}": ${width}×${rows} texels exceed the device's 2-D limit ${dim}`,
    );
  }
  if (layers > maxLayers) {
    throw new RangeError(
      `Cannot allocate attention texture "${label}": ${layers} sequences exceed the device's ${maxLayers} texture layers`,
    );
  }
  const size: [number, number, number] = [Math.max(1, width), Math.max(1, rows), Math.max(1, layers)];
  const texture = gpu.device.createTexture({
    label,
    size,
    format: "rgba32float",
    usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
  });
  return { texture, view: texture.createView({ dimension: "2d-array" }), size };
}
