/**
 * Flat texture copies of storage buffers, for kernels on CPU rasterisers: there each storage-buffer
 * load is scalarised per lane and costs an order of magnitude more than a storage-texture load (on
 * lavapipe, 16 lanes loading one vec4 each: ≈ 10–20× slower from a buffer), while a buffer-to-texture
 * copy is a plain memcpy. A kernel that reads an operand many times, or reads several operands once
 * each, gains from reading a flat texture copy instead.
 *
 * Layout: vec4 number n of the buffer (floats 4n … 4n+3) is texel (n mod W, ⌊n / W⌋) of layer 0, with
 * W the texture's width (`textureDimensions(t).x`): a power of two, at least {@linkcode FLAT_TEXELS},
 * wider only for buffers of more than that many rows of the 2-D size limit, and possibly wider than this
 * copy needs (scratch textures only grow). A power of two makes the address a mask and a shift: a
 * division by a run-time value, as a layout of fixed-width rows spilling into layers needs, is scalarised
 * per lane on CPU rasterisers and cost a quarter of an element-wise kernel's time. WGSL, for a binding `t`:
 *
 * ```wgsl
 * fn load_t(n: u32) -> vec4<f32> {
 *   let fw = textureDimensions(t).x;
 *   return textureLoad(t, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
 * }
 * ```
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";

/** Least texels per row of a flat texture (4 KiB rows, a multiple of the 256-byte copy alignment). */
export const FLAT_TEXELS = 256;

/**
 * Records copying `floats` floats of `buffer` (from float `offset`, by default its start) into scratch
 * texture `slot` in the flat layout and returns the texture's view: vec4 number n of the texture holds
 * floats offset + 4n … offset + 4n + 3. The copy is ordered after the work recorded so far, so the
 * texture holds the buffer's contents as of this point of the command stream.
 *
 * @param gpu Device context.
 * @param slot Scratch texture slot (one per operand that must be live at the same time; used by flat
 * copies only, so its width stays a power of two).
 * @param buffer Source buffer.
 * @param floats Floats to copy, a multiple of 4.
 * @param offset First float to copy, a multiple of 4 (default 0).
 * @returns The `2d-array` view of the texture.
 * @throws {RangeError} When `floats` or `offset` is not a non-negative multiple of 4, or the floats do
 * not fit in one layer of the largest texture.
 */
export function flatTexture(
  gpu: Gpu,
  slot: string,
  buffer: GPUBuffer,
  floats: number,
  offset = 0,
): GPUTextureView {
  for (const [name, value] of [["floats", floats], ["offset", offset]] as const) {
    if (!Number.isInteger(value) || value < 0 || value % 4 !== 0) {
      throw new RangeError(`flatTexture: ${name} ${value} is not a non-negative multiple of 4`);
    }
  }
  const texels = floats / 4;
  const limit = gpu.limits.maxTextureDimension2D;
  let width = FLAT_TEXELS;
  while (Math.ceil(texels / width) > limit && width * 2 <= limit) width *= 2;
  if (Math.ceil(texels / width) > limit) {
    throw new RangeError(`flatTexture: ${floats} floats do not fit in one ${limit} × ${limit} texture`);
  }
  const scratch = gpu.scratchTexture(slot, width, Math.max(1, Math.ceil(texels / width)), 1);
  const w = scratch.size[0];
  if ((w & (w - 1)) !== 0) {
    throw new RangeError(`flatTexture: slot "${slot}" holds a texture ${w} texels wide, not a power of two`);
  }
  const fullRows = Math.floor(texels / w), rest = texels % w;
  const rowBytes = w * 16;
  if (fullRows > 0) {
    gpu.copyBufferToTexture(
      { buffer, offset: offset * 4, bytesPerRow: rowBytes },
      { texture: scratch.texture, origin: [0, 0, 0] },
      [w, fullRows, 1],
    );
  }
  if (rest > 0) {
    gpu.copyBufferToTexture(
      { buffer, offset: offset * 4 + fullRows * rowBytes, bytesPerRow: rowBytes },
      { texture: scratch.texture, origin: [0, fullRows, 0] },
      [rest, 1, 1],
    );
  }
  return scratch.view;
}
