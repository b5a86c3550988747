/**
 * Flat texture copies of storage buffers, for kernels on CPU rasterisers: there each storage-buffer
 * load is scalarised per lane and costs an order of magnitude more than a storage-texture load (on
 * lavapipe, 16 lanes loading one vec4 each: ≈ 10–20× slower from a buffer), while a buffer-to-texture
 * copy is a plain memcpy. A kernel that reads an operand many times, or reads several operands once
 * each, gains from reading a flat texture copy instead.
 *
 * Layout: vec4 number n of the buffer (floats 4n … 4n+3) is texel (n mod 256, r mod H) of layer ⌊r / H⌋
 * with r = ⌊n / 256⌋ and H the texture's height (`textureDimensions(t).y`, which may exceed the rows
 * written: scratch textures only grow). WGSL, for a binding `t`:
 *
 * ```wgsl
 * fn load_t(n: u32) -> vec4<f32> {
 *   let r = n / 256u;
 *   let h = textureDimensions(t).y;
 *   return textureLoad(t, vec2(n % 256u, r % h), r / h);
 * }
 * ```
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";

/** Texels per row of a flat texture (4 KiB rows, a multiple of the 256-byte copy alignment). */
export const FLAT_TEXELS = 256;

/**
 * Records copying `floats` floats of `buffer` (from its start) into scratch texture `slot` in the flat
 * layout and returns the texture's view. The copy is ordered after the work recorded so far, so the
 * texture holds the buffer's contents as of this point of the command stream.
 *
 * @param gpu Device context.
 * @param slot Scratch texture slot (one per operand that must be live at the same time).
 * @param buffer Source buffer.
 * @param floats Floats to copy, a multiple of 4.
 * @returns The `2d-array` view of the texture.
 * @throws {RangeError} When `floats` is not a non-negative multiple of 4.
 */
export function flatTexture(gpu: Gpu, slot: string, buffer: GPUBuffer, floats: number): GPUTextureView {
  if (!Number.isInteger(floats) || floats < 0 || floats % 4 !== 0) {
    throw new RangeError(`flatTexture: ${floats} floats is not a multiple of 4`);
  }
  const texels = floats / 4;
  const rows = Math.ceil(texels / FLAT_TEXELS);
  const height = Math.max(1, Math.min(rows, gpu.limits.maxTextureDimension2D));
  const scratch = gpu.scratchTexture(slot, FLAT_TEXELS, height, Math.max(1, Math.ceil(rows / height)));
  const h = scratch.size[1];
  const fullRows = Math.floor(texels / FLAT_TEXELS), rest = texels % FLAT_TEXELS;
  const rowBytes = FLAT_TEXELS * 16;
  for (let r0 = 0; r0 < fullRows; r0 += h - (r0 % h)) {
    const count = Math.min(h - (r0 % h), fullRows - r0);
    gpu.copyBufferToTexture(
      { buffer, offset: r0 * rowBytes, bytesPerRow: rowBytes },
      { texture: scratch.texture, origin: [0, r0 % h, Math.floor(r0 / h)] },
      [FLAT_TEXELS, count, 1],
    );
  }
  if (rest > 0) {
    gpu.copyBufferToTexture(
      { buffer, offset: fullRows * rowBytes, bytesPerRow: rowBytes },
      { texture: scratch.texture, origin: [0, fullRows % h, Math.floor(fullRows / h)] },
      [rest, 1, 1],
    );
  }
  return scratch.view;
}
