/**
 * Rotary position embeddings (HF `rotate_half`) applied in place to heads inside rows, forward or
 * backward (see `rope.wgsl`).
 *
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import source from "./rope.wgsl" with { type: "text" };

/** In-place rotation (constant `DIR`: 1 forward, −1 backward). */
export const ropeKernel: Kernel = { name: "rope", source, bindings: ["uniform", "read", "read_write"] };

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
 * Records rotating heads of `x` in place.
 *
 * @param x Rows of f32 values, modified in place.
 * @param table From {@link ./rope_table.ts ropeTable}, covering positions up to pos0 + tq − 1.
 * @param o Rows, heads, positions, direction.
 * @throws {RangeError} When the heads or positions fall outside `x` or the table.
 */
export function rope(x: Tensor, table: Tensor, o: RopeOptions): void {
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
  x.gpu.dispatch(ropeKernel, {
    constants: { DIR: o.direction === "backward" ? -1 : 1 },
    params: new Params().u32(count, heads, headDim / 2, stride, offset, tq, pos0),
    resources: [table.buffer, x.buffer],
    workgroups: linearGrid(x.gpu, count),
  });
}
