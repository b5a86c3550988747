/**
 * Rotary position embeddings (HF `rotate_half`) applied in place to heads inside rows, forward or
 * backward (see `rope.wgsl`); `rope_vec4.wgsl` when half the head width, the row stride and the
 * offset are multiples of 4 (see {@linkcode ropeVec4Aligned}), with bit-identical results.
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./rope.wgsl" with { type: "text" };
import vec4Source from "./rope_vec4.wgsl" with { type: "text" };
import textureSource from "./rope_texture.wgsl" with { type: "text" };
import { flatTexture } from "./flat_texture.ts";

/** In-place rotation (constant `DIR`: 1 forward, −1 backward). */
export const ropeKernel: Kernel = { name: "rope", source, bindings: ["uniform", "read", "read_write"] };

/** In-place rotation, four consecutive frequencies (vec4 pairs) per invocation (constant `DIR`). */
export const ropeVec4Kernel: Kernel = {
  name: "rope_vec4",
  source: vec4Source,
  bindings: ["uniform", "read", "read_write"],
};

/** RoPE reading x and the table from flat texture copies (CPU rasterisers; see `flat_texture.ts`). */
export const ropeTextureKernel: Kernel = {
  name: "rope_texture",
  source: textureSource,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/** Which heads of which rows {@linkcode rope} rotates, and at which positions. */
export interface RopeOptions {
  /** Rows of `x` to rotate, from row 0. */
  rows: number;
  /** Row stride of `x` in elements. */
  stride: number;
  /** Column of the first head. */
  offset: number;
  /** Consecutive heads to rotate. */
  heads: number;
  /** Head width hd, even. */
  headDim: number;
  /** Rows per sequence: row r has position pos0 + r mod tq. */
  tq: number;
  /** Position of each sequence's first row (default 0). */
  pos0?: number;
  /** `"forward"` rotates by +angle; `"backward"` by −angle (the gradient). Default forward. */
  direction?: "forward" | "backward";
}

/**
 * Whether {@linkcode rope} takes the vec4 kernel: half the head width, the row stride and the offset
 * are multiples of 4, so both halves of every head (and every table row) start on vec4 boundaries.
 *
 * @param o The call's options (only `headDim`, `stride` and `offset` matter).
 * @returns True when the vec4 kernel applies.
 */
export function ropeVec4Aligned(o: Pick<RopeOptions, "headDim" | "stride" | "offset">): boolean {
  return (o.headDim / 2) % 4 === 0 && o.stride % 4 === 0 && o.offset % 4 === 0;
}

/**
 * Records rotating heads of `x` in place.
 *
 * @param x Rows of f32 values, modified in place.
 * @param table From {@link ./rope_table.ts ropeTable}, covering positions up to pos0 + tq − 1.
 * @param o Rows, heads, positions, direction.
 * @throws {RangeError} When the heads or positions fall outside `x` or the table.
 */
export function rope(x: Tensor, table: Tensor, o: RopeOptions): void {
  record(x, table, o, true);
}

/**
 * {@linkcode rope} always on the scalar kernel, the fallback for unaligned layouts: only for tests
 * and benchmarks that compare the two kernels on aligned layouts. Same checks and errors.
 *
 * @param x Rows of f32 values, modified in place.
 * @param table From {@link ./rope_table.ts ropeTable}.
 * @param o Rows, heads, positions, direction.
 */
export function ropeScalar(x: Tensor, table: Tensor, o: RopeOptions): void {
  record(x, table, o, false);
}

function record(x: Tensor, table: Tensor, o: RopeOptions, vec4: boolean): void {
  const { rows, stride, offset, heads, headDim, tq } = o;
  const pos0 = o.pos0 ?? 0;
  if (headDim % 2 !== 0 || headDim <= 0) throw new RangeError(`rope: headDim must be even, got ${headDim}`);
  if (offset + heads * headDim > stride || rows * stride > x.size) {
    throw new RangeError(
      `rope: ${rows} rows of stride ${stride} with ${heads} heads exceed x's ${x.size} elements`,
    );
  }
  if (rows > 0 && (tq <= 0 || (pos0 + Math.min(tq, rows)) * headDim > table.size)) {
    throw new RangeError(`rope: the table of ${table.size / headDim} positions does not reach ${pos0 + tq}`);
  }
  if (x.buffer === table.buffer) throw new TypeError("rope: x must not share the table's buffer");
  const count = rows * heads * (headDim / 2);
  if (count === 0) return;
  const constants = { DIR: o.direction === "backward" ? -1 : 1 };
  if (vec4 && ropeVec4Aligned(o) && x.gpu.software) {
    const gpu = x.gpu;
    gpu.dispatch(ropeTextureKernel, {
      constants,
      params: new Params().u32(count / 4, heads, headDim / 8, stride / 4, offset / 4, tq, pos0),
      resources: [
        flatTexture(gpu, "rope-table", table.buffer, table.size - (table.size % 4)),
        flatTexture(gpu, "rope-x", x.buffer, rows * stride),
        x.buffer,
      ],
      workgroups: linearGrid(gpu, count / 4),
    });
    return;
  }
  if (vec4 && ropeVec4Aligned(o)) {
    x.gpu.dispatch(ropeVec4Kernel, {
      constants,
      params: new Params().u32(count / 4, heads, headDim / 8, stride / 4, offset / 4, tq, pos0),
      resources: [table.buffer, x.buffer],
      workgroups: linearGrid(x.gpu, count / 4),
    });
    return;
  }
  x.gpu.dispatch(ropeKernel, {
    constants,
    params: new Params().u32(count, heads, headDim / 2, stride, offset, tq, pos0),
    resources: [table.buffer, x.buffer],
    workgroups: linearGrid(x.gpu, count),
  });
}
