/**
 * Kernels that read a row-major f32 score matrix (the logits) through `fn logit(i: u32) -> f32`,
 * bound as binding 1: the host prepends the accessor, reading the storage buffer or, on CPU
 * rasterisers, the flat texture copy of it (flat_texture.ts), where texture loads cost a fraction of
 * scalarised buffer loads. Both read the same floats, so a kernel's results do not depend on which.
 *
 * @module
 */
import type { BindingKind, Kernel } from "../kernel.ts";
import type { Tensor } from "../tensor.ts";
import { flatTexture } from "./flat_texture.ts";

const BUFFER_ACCESSOR = `@group(0) @binding(1) var<storage, read> logits_b: array<f32>;
fn logit(i: u32) -> f32 {
  return logits_b[i];
}
`;

const TEXTURE_ACCESSOR = `@group(0) @binding(1) var logits_t: texture_storage_2d_array<rgba32float, read>;
fn logit(i: u32) -> f32 {
  let n = i / 4u;
  let fw = textureDimensions(logits_t).x;
  return textureLoad(logits_t, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0)[i % 4u];
}
`;

/** One kernel in its two forms: logits read from the buffer, or from its flat texture copy. */
export interface LogitKernels {
  /** Binding 1 a `var<storage, read>` buffer. */
  readonly buffer: Kernel;
  /** Binding 1 a flat texture copy (`<name>_texture`). */
  readonly texture: Kernel;
}

/**
 * Builds both forms of a kernel whose source calls `logit(i)` and declares every binding but 1.
 *
 * @param name Kernel name.
 * @param source WGSL without binding 1 and the accessor.
 * @param bindings Kinds of bindings 2, 3, … (binding 0 is the uniform).
 * @returns The two kernels.
 */
export function logitKernels(name: string, source: string, bindings: readonly BindingKind[]): LogitKernels {
  return {
    buffer: { name, source: `${BUFFER_ACCESSOR}\n${source}`, bindings: ["uniform", "read", ...bindings] },
    texture: {
      name: `${name}_texture`,
      source: `${TEXTURE_ACCESSOR}\n${source}`,
      bindings: ["uniform", "texture_read", ...bindings],
    },
  };
}

/** What binding 1 gets: which form to dispatch and the resource to bind. */
export interface LogitBinding {
  /** `"texture"` on CPU rasterisers when the float count is a multiple of 4, else `"buffer"`. */
  readonly form: keyof LogitKernels;
  /** The buffer, or a view of its flat texture copy. */
  readonly resource: GPUBuffer | GPUTextureView;
}

/**
 * Binding 1 for `logits`: the texture form on CPU rasterisers when the float count is a multiple of 4
 * (or as asked), recording the copy into scratch texture `slot`, so dispatches recorded after it (and
 * before the slot's next use) read the copy.
 *
 * @param logits The scores.
 * @param slot Scratch texture slot.
 * @param form Force a form (tests; `"texture"` needs a float count that is a multiple of 4).
 * @returns The form and resource.
 */
export function logitBinding(logits: Tensor, slot: string, form?: keyof LogitKernels): LogitBinding {
  const gpu = logits.gpu;
  if (form === "texture" || (form === undefined && gpu.software && logits.size % 4 === 0)) {
    return { form: "texture", resource: flatTexture(gpu, slot, logits.buffer, logits.size) };
  }
  return { form: "buffer", resource: logits.buffer };
}
