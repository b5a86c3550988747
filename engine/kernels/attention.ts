/**
 * Causal grouped-query attention forward: the fused online-softmax kernel `attention.wgsl`, reading
 * rotated queries, keys and values from an {@link ./attention_texture.ts AttentionTexture}.
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import source from "./attention.wgsl" with { type: "text" };
import type { AttentionTexture } from "./attention_texture.ts";

/** Fused causal attention forward (constants `HD`, `HEADS`, `GROUP`). */
export const attentionKernel: Kernel = {
  name: "attention",
  source,
  bindings: ["uniform", "texture_read", "read_write", "read_write"],
};

/** Head counts and width of an attention layer, and where its heads sit in a texture row. */
export interface AttentionLayout {
  /** Sequences B (texture layers). */
  batch: number;
  /** Query heads H. */
  heads: number;
  /** Key/value heads KV, dividing H; query head h reads key/value head ⌊h / (H/KV)⌋. */
  kvHeads: number;
  /** Head width hd, a multiple of 4. */
  headDim: number;
  /** Column (element index in a texture row, a multiple of 4) of query head 0. */
  qColumn: number;
  /** Column of key head 0. */
  kColumn: number;
  /** Column of value head 0. */
  vColumn: number;
  /** Rows per workgroup instead of {@linkcode attentionRows}'s choice for the adapter (tests). */
  rowsPerWorkgroup?: number;
}

/** Shapes of an {@linkcode attention} call. */
export interface AttentionOptions extends AttentionLayout {
  /** Query rows per sequence. */
  tq: number;
  /** Position of query row 0 (default 0): row i is texture row pos0 + i and sees keys 0 … pos0 + i. */
  pos0?: number;
}

/**
 * Validates an attention layout against a texture holding `rows` rows per sequence.
 *
 * @param op Calling function, for messages.
 * @param o The layout.
 * @param texture The texture.
 * @param rows Rows that must fit.
 * @throws {RangeError} When head counts, widths or columns are invalid or the texture is too small.
 */
export function assertAttentionLayout(
  op: string,
  o: AttentionLayout,
  texture: AttentionTexture,
  rows: number,
): void {
  const { heads, kvHeads, headDim } = o;
  for (const [name, v] of [["heads", heads], ["kvHeads", kvHeads], ["headDim", headDim]] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`${op}: ${name} must be a positive integer, got ${v}`);
    }
  }
  if (heads % kvHeads !== 0) {
    throw new RangeError(`${op}: heads=${heads} is not a multiple of kvHeads=${kvHeads}`);
  }
  if (headDim % 4 !== 0) throw new RangeError(`${op}: headDim must be a multiple of 4, got ${headDim}`);
  for (const [name, v] of [["qColumn", o.qColumn], ["kColumn", o.kColumn], ["vColumn", o.vColumn]] as const) {
    if (!Number.isInteger(v) || v < 0 || v % 4 !== 0) {
      throw new RangeError(`${op}: ${name} must be a non-negative multiple of 4, got ${v}`);
    }
  }
  const width = Math.max(
    o.qColumn + heads * headDim,
    o.kColumn + kvHeads * headDim,
    o.vColumn + kvHeads * headDim,
  );
  if (texture.size[0] * 4 < width || texture.size[1] < rows || texture.size[2] < o.batch) {
    throw new RangeError(
      `${op}: texture [${texture.size}] cannot hold ${width / 4} texels × ${rows} rows × ${o.batch} layers`,
    );
  }
}

/**
 * Query rows (keys, for the key/value backward) per workgroup of the attention kernels. A workgroup
 * loops over keys up to its last row and masks the rest, so its cost grows with its row count times
 * its last position: on a software adapter, which runs a workgroup's invocations as CPU SIMD batches,
 * 16-row blocks skip most of the masked causal half that 64-row blocks pay for (a 35B-proxy forward
 * and backward of 16 documents of ~129 tokens: 1022 → 876 ms on llvmpipe; 8 rows: 963 ms, 32: 980 ms);
 * a real GPU wants full warps. Results do not depend on it: a masked key adds exactly zero.
 *
 * @param gpu Device context.
 * @returns Rows per workgroup.
 */
export function attentionRows(gpu: Gpu): number {
  return attentionRowsFor(gpu.software);
}

/**
 * {@linkcode attentionRows} before a device exists (e.g. to record the choice for an adapter).
 *
 * @param software Whether the adapter is a software rasteriser.
 * @returns Rows per workgroup.
 */
export function attentionRowsFor(software: boolean): number {
  return software ? 16 : 64;
}

/**
 * Records causal attention of B·tq query rows against the keys and values in `qkv`.
 *
 * @param qkv Texture holding rotated queries, keys and values (rows 0 … pos0 + tq − 1 valid).
 * @param out Output [B·tq, H·hd].
 * @param lse Log-sum-exp of the scaled scores, [B, H, tq].
 * @param o Shapes and layout.
 * @throws {RangeError} When a tensor or the texture is too small.
 * @throws {TypeError} When out and lse share a buffer.
 */
export function attention(qkv: AttentionTexture, out: Tensor, lse: Tensor, o: AttentionOptions): void {
  const pos0 = o.pos0 ?? 0;
  assertAttentionLayout("attention", o, qkv, pos0 + o.tq);
  const { batch, tq, heads, kvHeads, headDim } = o;
  if (out.size !== batch * tq * heads * headDim || lse.size !== batch * heads * tq) {
    throw new RangeError(
      `attention: out must have ${batch * tq * heads * headDim} and lse ${batch * heads * tq} elements`,
    );
  }
  if (out.buffer === lse.buffer) throw new TypeError("attention: out and lse must not share a buffer");
  if (batch === 0 || tq === 0) return;
  const rows = o.rowsPerWorkgroup ?? attentionRows(out.gpu);
  out.gpu.dispatch(attentionKernel, {
    constants: { HD: headDim, HEADS: heads, GROUP: heads / kvHeads, ROWS: rows },
    params: new Params().u32(tq, pos0, o.qColumn / 4, o.kColumn / 4, o.vColumn / 4).f32(
      1 / Math.sqrt(headDim),
    ),
    resources: [qkv.view, out.buffer, lse.buffer],
    workgroups: [Math.ceil(tq / rows), heads, batch],
  });
}
