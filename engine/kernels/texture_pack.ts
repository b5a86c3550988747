/**
 * `packRows()`: copies rows of a tensor into an rgba32float 2-D array texture (one layer per group
 * of `tq` rows), by `copyBufferToTexture` when the layout allows it and by `texture_pack.wgsl`
 * otherwise.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import type { AttentionTexture } from "./attention_texture.ts";
import source from "./texture_pack.wgsl" with { type: "text" };

/** Copies buffer rows into texture rows at an offset. */
export const texturePackKernel: Kernel = {
  name: "texture_pack",
  source,
  bindings: ["uniform", "read", "texture_write"],
};

/** Which rows and columns {@linkcode packRows} copies. */
export interface PackRowsOptions {
  /** Layers (groups of rows). */
  layers: number;
  /** Rows per layer; the source holds layers·tq rows. */
  tq: number;
  /** Texture row of each layer's first row (default 0). */
  y0?: number;
  /** Source row stride in elements (default: the last dimension of `src`). */
  stride?: number;
  /** Elements per row to copy, a multiple of 4 unless it ends the texture row (default `stride`). */
  cols?: number;
}

/**
 * Records copying rows of `src` into `dst`: row b·tq + t → texture row y0 + t of layer b, texel x =
 * elements 4x … 4x+3 (zero past `cols`).
 *
 * @param src f32 tensor of at least layers·tq·stride elements.
 * @param dst Texture with ≥ ⌈cols/4⌉ texels per row, ≥ y0 + tq rows, ≥ layers layers.
 * @param o Rows and columns.
 * @throws {RangeError} When the source or the texture is too small.
 */
export function packRows(src: Tensor, dst: AttentionTexture, o: PackRowsOptions): void {
  const y0 = o.y0 ?? 0, stride = o.stride ?? src.shape[src.shape.length - 1], cols = o.cols ?? stride;
  const texels = Math.ceil(cols / 4);
  if (cols > stride || o.layers * o.tq * stride > src.size) {
    throw new RangeError(
      `packRows: source of ${src.size} elements is too small for ${o.layers}×${o.tq} rows`,
    );
  }
  if (dst.size[0] < texels || dst.size[1] < y0 + o.tq || dst.size[2] < o.layers) {
    throw new RangeError(
      `packRows: texture [${dst.size}] cannot hold ${texels} texels × rows ${y0}..${
        y0 + o.tq
      } × ${o.layers} layers`,
    );
  }
  if (o.layers === 0 || o.tq === 0 || cols === 0) return;
  const gpu = src.gpu;
  if (cols % 4 === 0 && (stride * 4) % 256 === 0) {
    gpu.copyBufferToTexture(
      { buffer: src.buffer, offset: 0, bytesPerRow: stride * 4, rowsPerImage: o.tq },
      { texture: dst.texture, origin: [0, y0, 0] },
      [texels, o.tq, o.layers],
    );
    return;
  }
  gpu.dispatch(texturePackKernel, {
    params: new Params().u32(o.tq, y0, stride, cols),
    resources: [src.buffer, dst.view],
    workgroups: [Math.ceil(texels / 8), Math.ceil(o.tq / 8), o.layers],
  });
}
