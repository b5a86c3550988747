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
import rows4Source from "./attention_rows4.wgsl" with { type: "text" };
import type { AttentionTexture } from "./attention_texture.ts";

/** Fused causal attention forward, one row per invocation (constants `HD`, `HEADS`, `GROUP`, `ROWS`). */
export const attentionKernel: Kernel = {
  name: "attention",
  source,
  bindings: ["uniform", "texture_read", "read_write", "read_write"],
};

/** {@linkcode attentionKernel} with four rows per invocation (constants `HD`, `HEADS`, `GROUP`, `LANES`). */
export const attentionRows4Kernel: Kernel = {
  name: "attention_rows4",
  source: rows4Source,
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
  /** Rows per invocation, 1 or 4, instead of {@linkcode attentionRowsPerInvocation}'s choice (tests). */
  rowsPerInvocation?: number;
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
 * Query rows (keys, for the key/value backward) per workgroup of the one-row-per-invocation attention
 * kernels. A workgroup loops over keys up to its last row and masks the rest, so its cost grows with its
 * row count times its last position: on a software adapter, which runs a workgroup's invocations as CPU
 * SIMD batches, 16-row blocks skip most of the masked causal half that 64-row blocks pay for (a
 * 35B-proxy forward and backward of 16 documents of ~129 tokens: 1022 → 876 ms on llvmpipe; 8 rows:
 * 963 ms, 32: 980 ms); a real GPU wants full warps. The four-rows-per-invocation kernels (see
 * {@linkcode attentionRowsPerInvocation}) take blocks of 8 invocations × 4 rows. Results do not depend
 * on it: a masked key adds exactly zero.
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
 * Rows (keys, for the key/value backward) each invocation of the attention kernels holds: 4 on
 * software adapters for heads of up to 32 wide (`attention_rows4.wgsl`: each key and value texel is
 * loaded once for four rows; a 7B-proxy layer, batch 32 × 160 tokens, hd 16, on contended llvmpipe:
 * forward ≈ 75 → 40 ms, backward ≈ 135 → 80 ms; a 35B-proxy layer, hd 32: forward 81 → 43 ms,
 * backward query 79 → 38 ms, key 93 → 52 ms), 1 elsewhere. Both give bit-identical results.
 *
 * @param software Whether the adapter is a software rasteriser.
 * @param headDim Head width.
 * @returns Rows per invocation.
 */
export function attentionRowsPerInvocation(software: boolean, headDim: number): 1 | 4 {
  return software && headDim <= MAX_ROWS4_HEAD_DIM ? 4 : 1;
}

/** Widest head of the four-rows-per-invocation kernels, and their invocations per workgroup. */
const MAX_ROWS4_HEAD_DIM = 32, ROWS4_LANES = 8;

/**
 * The workgroup shape of the attention kernels: `rows` rows per workgroup, `perLane` (1 or 4) per
 * invocation, and the shape constants of the kernel that holds that many rows per invocation.
 *
 * @param gpu Device context.
 * @param o The layout (its test overrides).
 * @returns Rows per workgroup and per invocation, and the kernels' workgroup-shape constants.
 * @throws {RangeError} When the rows per invocation are not 1 or 4 or do not divide the rows per
 * workgroup, or are 4 for heads wider than 32.
 */
export function attentionBlock(
  gpu: Gpu,
  o: Pick<AttentionLayout, "rowsPerWorkgroup" | "rowsPerInvocation" | "headDim">,
): { rows: number; perLane: 1 | 4; constants: { ROWS: number } | { LANES: number } } {
  const perLane = o.rowsPerInvocation ??
    (o.rowsPerWorkgroup === undefined || o.rowsPerWorkgroup % 4 === 0
      ? attentionRowsPerInvocation(gpu.software, o.headDim)
      : 1);
  const rows = o.rowsPerWorkgroup ?? (perLane === 4 ? 4 * ROWS4_LANES : attentionRows(gpu));
  if ((perLane !== 1 && perLane !== 4) || !Number.isInteger(rows) || rows < 1 || rows % perLane !== 0) {
    throw new RangeError(
      `attention: rowsPerInvocation must be 1 or 4 and divide rowsPerWorkgroup, got ${perLane} and ${rows}`,
    );
  }
  if (perLane === 4 && o.headDim > MAX_ROWS4_HEAD_DIM) {
    throw new RangeError(
      `attention: rowsPerInvocation 4 needs headDim ≤ ${MAX_ROWS4_HEAD_DIM}, got ${o.headDim}`,
    );
  }
  return { rows, perLane, constants: perLane === 1 ? { ROWS: rows } : { LANES: rows / 4 } };
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
  const { rows, perLane, constants } = attentionBlock(out.gpu, o);
  out.gpu.dispatch(perLane === 1 ? attentionKernel : attentionRows4Kernel, {
    constants: { HD: headDim, HEADS: heads, GROUP: heads / kvHeads, ...constants },
    params: new Params().u32(tq, pos0, o.qColumn / 4, o.kColumn / 4, o.vColumn / 4).f32(
      1 / Math.sqrt(headDim),
    ),
    resources: [qkv.view, out.buffer, lse.buffer],
    workgroups: [Math.ceil(tq / rows), heads, batch],
  });
}
