/**
 * All dot products between the rows of two short, wide matrices: C = P Xᵀ with P [m, K], X [n, K],
 * m and n small and K large (e.g. Q preconditioned queries against D document gradients, K = out·in).
 * A tiled GEMM wastes most of its tile there and runs on very few workgroups; this splits K into
 * chunks (first pass: 4 × 4 register blocks per chunk, vec4 loads) and sums the chunks in order
 * (second pass), so results are deterministic and independent of which other rows are present.
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import type { Tensor } from "../tensor.ts";
import { linearGrid } from "./grid.ts";
import partialSource from "./multi_dot_partial.wgsl" with { type: "text" };
import reduceSource from "./multi_dot_reduce.wgsl" with { type: "text" };

/** First pass: split-K partial products (constant `CHUNK4`). */
export const multiDotPartialKernel: Kernel = {
  name: "multi_dot_partial",
  source: partialSource,
  bindings: ["uniform", "read", "read", "read_write"],
};

/** Second pass: ordered sum of the partials into C. */
export const multiDotReduceKernel: Kernel = {
  name: "multi_dot_reduce",
  source: reduceSource,
  bindings: ["uniform", "read", "read_write"],
};

/** Elements of K per chunk of the first pass. */
export const MULTI_DOT_CHUNK = 256;

/** Sizes, strides and offsets of {@linkcode multiDot} (elements; K, ldp, ldx and offsets of P, X multiples of 4). */
export interface MultiDotSpec {
  /** Rows of P (and of C). */
  m: number;
  /** Rows of X (columns of C). */
  n: number;
  /** Row length K. */
  k: number;
  /** Row stride of P (default k). */
  ldp?: number;
  /** Row stride of X (default k). */
  ldx?: number;
  /** Element index of P's first row (default 0). */
  offsetP?: number;
  /** Element index of X's first row (default 0). */
  offsetX?: number;
  /** Row stride of C (default n). */
  ldc?: number;
  /** Element index of C[0, 0] (default 0). */
  offsetC?: number;
  /** Add to C instead of overwriting it (default false). */
  accumulate?: boolean;
}

/**
 * Whether {@linkcode multiDot} accepts this layout (vec4 loads need K, strides and offsets of P and X
 * to be multiples of 4).
 *
 * @param spec The problem.
 * @returns True when aligned.
 */
export function multiDotAligned(spec: MultiDotSpec): boolean {
  const { k, ldp = k, ldx = k, offsetP = 0, offsetX = 0 } = spec;
  return [k, ldp, ldx, offsetP, offsetX].every((v) => v % 4 === 0);
}

/**
 * Whether {@linkcode multiDot} beats `matmul()` for C [m, n] on this device. Tiled family (real GPUs):
 * always (the GEMM would run on ⌈m/64⌉·⌈n/64⌉ workgroups for all of K). Software family: when m·n is
 * small against the texture GEMM's 64 × 128 output tile, which costs the same for any m·n inside it:
 * measured on lavapipe (2 cores, K = 36864) multiDot costs about 17× more per useful multiply-add
 * than the GEMM per padded one (m = 1, 10, 100 against n = 16: 8 vs 90, 24 vs 93, 210 vs 127 ms).
 *
 * @param gpu The device.
 * @param m Rows of C.
 * @param n Columns of C.
 * @returns True when multiDot is expected to be faster.
 */
export function multiDotPreferred(gpu: Gpu, m: number, n: number): boolean {
  if (gpu.gemmFamily !== "software") return true;
  return 17 * m * n <= Math.ceil(m / 64) * 64 * Math.ceil(n / 128) * 128;
}

/**
 * Records `C[offsetC + i·ldc + j] (+)= Σ_k P[offsetP + i·ldp + k] · X[offsetX + j·ldx + k]` for i < m, j < n.
 *
 * @param p P, f32.
 * @param x X, f32 (may be the same tensor as P).
 * @param c C, f32, a buffer distinct from P and X.
 * @param spec Sizes, strides, offsets, accumulation.
 * @throws {RangeError} When the layout is not aligned ({@linkcode multiDotAligned}) or an access falls
 *   outside a tensor.
 * @throws {TypeError} On wrong dtypes or aliasing.
 */
export function multiDot(p: Tensor, x: Tensor, c: Tensor, spec: MultiDotSpec): void {
  const { m, n, k } = spec;
  const ldp = spec.ldp ?? k, ldx = spec.ldx ?? k, offsetP = spec.offsetP ?? 0, offsetX = spec.offsetX ?? 0;
  const ldc = spec.ldc ?? n, offsetC = spec.offsetC ?? 0;
  for (const t of [p, x, c]) if (t.dtype !== "f32") throw new TypeError("multiDot: tensors must be f32");
  if (c.buffer === p.buffer || c.buffer === x.buffer) {
    throw new TypeError("multiDot: C must not share a buffer with P or X");
  }
  for (const v of [m, n, k, ldp, ldx, offsetP, offsetX, ldc, offsetC]) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`multiDot: ${v} is not a size, stride or offset`);
    }
  }
  if (!multiDotAligned(spec)) {
    throw new RangeError("multiDot: K and the strides and offsets of P and X must be multiples of 4");
  }
  if (m === 0 || n === 0) return;
  if (
    ldp < k || ldx < k || ldc < n || offsetP + (m - 1) * ldp + k > p.size ||
    offsetX + (n - 1) * ldx + k > x.size || offsetC + (m - 1) * ldc + n > c.size
  ) {
    throw new RangeError(
      `multiDot: [${m}, ${k}] · [${n}, ${k}]ᵀ exceeds P [${p.shape}], X [${x.shape}] or C [${c.shape}]`,
    );
  }
  const gpu = c.gpu;
  const chunks = Math.max(1, Math.ceil(k / MULTI_DOT_CHUNK));
  const partial = gpu.scratchBuffer("multi-dot", chunks * m * n * 4);
  gpu.dispatch(multiDotPartialKernel, {
    constants: { CHUNK4: MULTI_DOT_CHUNK / 4 },
    params: new Params().u32(m, n, k / 4, chunks, ldp / 4, ldx / 4, offsetP / 4, offsetX / 4),
    resources: [p.buffer, x.buffer, partial],
    workgroups: linearGrid(gpu, Math.ceil(m / 4) * Math.ceil(n / 4) * chunks),
  });
  gpu.dispatch(multiDotReduceKernel, {
    params: new Params().u32(m, n, chunks, ldc, offsetC, spec.accumulate ? 1 : 0),
    resources: [partial, c.buffer],
    workgroups: linearGrid(gpu, m * n),
  });
}
