/**
 * Software GEMM family: copies operands into rgba32float textures (A as stored, B in a K-major layout,
 * transposing 4×4 blocks when B is stored transposed), then runs the register-blocked texture kernel
 * (see `matmul_texture.wgsl` for why). Problems larger than the texture limits or the scratch budget
 * are split into chunks over batch, m, n and k (k chunks after the first accumulate with β = 1).
 *
 * @module
 */
import type { GemmSpec } from "../gemm_spec.ts";
import type { Gpu } from "../gpu.ts";
import type { Kernel } from "../kernel.ts";
import { Params } from "../params.ts";
import { flatTexture } from "./flat_texture.ts";
import packSource from "./matmul_pack.wgsl" with { type: "text" };
import packTextureSource from "./matmul_pack_texture.wgsl" with { type: "text" };
import gemmSource from "./matmul_texture.wgsl" with { type: "text" };
import gemmVec4Source from "./matmul_texture_vec4.wgsl" with { type: "text" };
import transposeSource from "./matmul_transpose.wgsl" with { type: "text" };

/** Copies an operand rectangle into a texture with zero padding (when a plain copy cannot). */
export const matmulPackKernel: Kernel = {
  name: "matmul_pack",
  source: packSource,
  bindings: ["uniform", "read", "texture_write"],
};

/**
 * {@linkcode matmulPackKernel} reading a flat texture copy of the operand (`flat_texture.ts`) instead
 * of the buffer, for operands whose first element, row stride and batch stride are multiples of 4
 * floats; bit-identical (texels are copied as loaded).
 */
export const matmulPackTextureKernel: Kernel = {
  name: "matmul_pack_texture",
  source: packTextureSource,
  bindings: ["uniform", "texture_read", "texture_write"],
};

/** Transposes 4×4 texel blocks from stored-row layout to the kernel's K-major layout. */
export const matmulTransposeKernel: Kernel = {
  name: "matmul_transpose",
  source: transposeSource,
  bindings: ["uniform", "texture_read", "texture_write"],
};

/** 16×16-per-invocation texture GEMM on a K-major B texture and an A texture in either layout. */
export const matmulTextureKernel: Kernel = {
  name: "matmul_texture",
  source: gemmSource,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/** {@linkcode matmulTextureKernel} writing C as vec4 (see {@linkcode gemmVec4Aligned}); bit-identical. */
export const matmulTextureVec4Kernel: Kernel = {
  name: "matmul_texture_vec4",
  source: gemmVec4Source,
  bindings: ["uniform", "texture_read", "texture_read", "read_write"],
};

/**
 * Whether the software GEMM writes C as vec4 (`matmul_texture_vec4.wgsl`): n, C's leading dimension,
 * offset and batch stride are multiples of 4, so every 4 consecutive output columns of a row form one
 * aligned vec4 inside the row.
 *
 * @param s Resolved problem.
 * @returns True when the vec4 kernel applies.
 */
export function gemmVec4Aligned(s: Pick<GemmSpec, "n" | "ldc" | "offsetC" | "strideC">): boolean {
  return s.n % 4 === 0 && s.ldc % 4 === 0 && s.offsetC % 4 === 0 && s.strideC % 4 === 0;
}

/** Output rows and columns of the largest workgroup tile of `matmul_texture.wgsl`, and the K padding. */
const TILE_ROWS = 64, TILE_COLS = 128, K_STEP = 8;
/** Output rows and columns per invocation (the kernels' register block). */
const BLOCK = 16;

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;
const roundDown = (x: number, step: number) => Math.floor(x / step) * step;

/**
 * How the software GEMM covers a chunk of outputs: rows × columns per workgroup, multiples of 16 (one
 * invocation's block), with (rows / 16) · (cols / 16) invocations a multiple of 8 (llvmpipe's SIMD
 * vector).
 */
export interface GemmTile {
  /** Output rows per workgroup. */
  readonly rows: number;
  /** Output columns per workgroup. */
  readonly cols: number;
}

/**
 * The workgroup tile for a chunk of `m × n` outputs: 128 columns unless 64 pad n less (n = 64, 192,
 * 100 …: a 128-column tile on a 64-wide output leaves half its SIMD lanes computing padding), 64 rows,
 * or 128 for a 64-column tile on a tall chunk (m ≥ 2048, the activation products: 32 invocations per
 * workgroup, measured faster there than 16). Each output sums over k in the same order whatever the
 * tile, so the results are bit-identical.
 *
 * @param m Rows of the chunk.
 * @param n Columns of the chunk.
 * @returns The tile.
 */
export function gemmTile(m: number, n: number): GemmTile {
  const cols = roundUp(n, 64) < roundUp(n, TILE_COLS) ? 64 : TILE_COLS;
  return { rows: cols === 64 && m >= 2048 ? 128 : TILE_ROWS, cols };
}

/** Largest packed operand per chunk, in floats (64 MiB of texture each for A and B). */
const MAX_CHUNK_FLOATS = 16 * 1024 * 1024;

/** How one operand is stored (see `gemm_spec.ts`). */
interface Stored {
  buffer: GPUBuffer;
  ld: number;
  offset: number;
  stride: number;
}

/** A filled scratch texture and the extent written: padded rows, texels per row, layers. */
interface Packed {
  view: GPUTextureView;
  extent: readonly [number, number, number];
}

/** Test and benchmark overrides of {@linkcode matmulSoftware}'s choices. */
export interface SoftwareGemmOptions {
  /** Write C as vec4 where {@linkcode gemmVec4Aligned} allows (default true; false forces the scalar kernel). */
  vec4?: boolean;
  /** Workgroup tile (default {@linkcode gemmTile} per chunk). */
  tile?: GemmTile;
  /**
   * How operands that a plain copy cannot bring into a texture are packed: from a flat texture copy
   * (`"texture"`, needs 16-byte aligned operands) or from the buffer (`"buffer"`); default: the texture
   * where aligned. `"texture"` and `"buffer"` also replace the plain copies.
   */
  pack?: "texture" | "buffer";
  /**
   * Read A in place from a flat texture copy where a plain copy cannot bring it into a texture and the
   * chunk needs no K padding (default true; false packs it instead).
   */
  flatA?: boolean;
}

/**
 * Records `C = α·op(A)·op(B) + β·C` with the software family.
 *
 * @param gpu Device context.
 * @param a Buffer of A.
 * @param b Buffer of B.
 * @param c Buffer of C (distinct from A and B).
 * @param s Resolved problem.
 * @param options Overrides of the kernel choices, for tests and benchmarks only (every choice gives the
 * same bits).
 * @throws {RangeError} When a tile is not a multiple of the block or does not fill the SIMD vector, or
 * `pack: "texture"` meets an operand that is not 16-byte aligned.
 */
export function matmulSoftware(
  gpu: Gpu,
  a: GPUBuffer,
  b: GPUBuffer,
  c: GPUBuffer,
  s: GemmSpec,
  options: SoftwareGemmOptions = {},
): void {
  const { vec4 = true, tile, flatA = true } = options;
  const packKernel = options.pack === undefined
    ? undefined
    : options.pack === "texture"
    ? matmulPackTextureKernel
    : matmulPackKernel;
  if (
    tile &&
    !(tile.rows > 0 && tile.cols > 0 && tile.rows % BLOCK === 0 && tile.cols % BLOCK === 0 &&
      (tile.rows / BLOCK * tile.cols / BLOCK) % 8 === 0)
  ) {
    throw new RangeError(
      `matmulSoftware: tile rows and cols must be multiples of ${BLOCK} with ` +
        `(rows / ${BLOCK})·(cols / ${BLOCK}) a multiple of 8, got ${JSON.stringify(tile)}`,
    );
  }
  if (s.m === 0 || s.n === 0 || s.batch === 0) return;
  // Chunks start at multiples of 64 columns, so an aligned problem gives aligned chunks.
  const kernel = vec4 && gemmVec4Aligned(s) ? matmulTextureVec4Kernel : matmulTextureKernel;
  const dim = gpu.limits.maxTextureDimension2D;
  const kChunk = Math.max(K_STEP, roundDown(Math.min(dim, 4096), K_STEP));
  const kc0 = Math.min(roundUp(Math.max(s.k, 1), K_STEP), kChunk);
  const mChunk = Math.max(TILE_ROWS, roundDown(Math.min(dim, MAX_CHUNK_FLOATS / kc0), TILE_ROWS));
  const nChunk = Math.max(TILE_COLS, roundDown(Math.min(dim, MAX_CHUNK_FLOATS / kc0), TILE_COLS));
  const largest = Math.max(
    Math.min(roundUp(s.m, TILE_ROWS), mChunk),
    Math.min(roundUp(s.n, TILE_COLS), nChunk),
  );
  const layerChunk = Math.max(
    1,
    Math.min(gpu.limits.maxTextureArrayLayers, Math.floor(MAX_CHUNK_FLOATS / (largest * kc0))),
  );
  const storedA: Stored = { buffer: a, ld: s.lda, offset: s.offsetA, stride: s.strideA };
  const storedB: Stored = { buffer: b, ld: s.ldb, offset: s.offsetB, stride: s.strideB };

  for (let z0 = 0; z0 < s.batch; z0 += layerChunk) {
    const zc = Math.min(layerChunk, s.batch - z0);
    for (let m0 = 0; m0 < s.m; m0 += mChunk) {
      const mc = Math.min(mChunk, s.m - m0);
      for (let n0 = 0; n0 < s.n; n0 += nChunk) {
        const nc = Math.min(nChunk, s.n - n0);
        // k = 0 still runs once so that C = β·C (or 0) is written.
        for (let k0 = 0; k0 === 0 || k0 < s.k; k0 += kChunk) {
          const kc = Math.min(kChunk, s.k - k0);
          const kPad = roundUp(Math.max(kc, 1), K_STEP);
          const chosen = tile ?? gemmTile(mc, nc);
          const mPad = roundUp(mc, chosen.rows), nPad = roundUp(nc, chosen.cols);
          // B is K-major: rows k, texels along n.
          // A as stored: K rows for a stored Aᵀ, m rows otherwise (the kernel's A_ROWS); read in place
          // from a flat copy where it would need a pack pass and the chunk needs no K padding.
          const placeA = s.transA
            ? place(storedA, z0, zc, [k0, m0, kc, mc], [kPad, mPad / 4], "rows")
            : place(storedA, z0, zc, [m0, k0, mc, kc], [mPad, kPad / 4], "cols");
          const inPlaceA = flatA && packKernel === undefined && !placeA.copyable && placeA.aligned &&
            kc === kPad;
          const viewA = inPlaceA
            ? flatTexture(gpu, "matmul-a-flat", a, placeA.span, placeA.base)
            : pack(gpu, s.transA ? "matmul-a" : "matmul-a-rows", placeA, packKernel).view;
          const viewB = s.transB
            ? transposed(
              gpu,
              "matmul-b",
              pack(
                gpu,
                "matmul-b-rows",
                place(storedB, z0, zc, [n0, k0, nc, kc], [nPad, kPad / 4], "cols"),
                packKernel,
              ),
            )
            : pack(
              gpu,
              "matmul-b",
              place(storedB, z0, zc, [k0, n0, kc, nc], [kPad, nPad / 4], "rows"),
              packKernel,
            )
              .view;
          const params = new Params()
            .u32(mc, nc, kPad / K_STEP, s.ldc, s.offsetC + z0 * s.strideC + m0 * s.ldc + n0, s.strideC)
            .u32(s.strideA === 0 ? 0 : 1, s.strideB === 0 ? 0 : 1)
            .f32(s.alpha, k0 === 0 ? s.beta : 1)
            .u32(inPlaceA ? s.lda / 4 : 0, inPlaceA ? s.strideA / 4 : 0);
          gpu.dispatch(kernel, {
            constants: {
              A_FLAT: inPlaceA,
              A_ROWS: !s.transA,
              COL_BLOCKS: chosen.cols / BLOCK,
              WG_Y: (chosen.rows / BLOCK) * (chosen.cols / BLOCK) / 8,
            },
            params,
            resources: [viewA, viewB, c],
            workgroups: [nPad / chosen.cols, mPad / chosen.rows, zc],
          });
        }
      }
    }
  }
}

/**
 * Transposes a packed chunk stored with rows along m or n (padded rows × padded k / 4 texels) into
 * scratch texture `slot` in the GEMM kernel's K-major layout (padded k rows × rows / 4 texels).
 */
function transposed(gpu: Gpu, slot: string, src: Packed): GPUTextureView {
  const [height, width, layers] = src.extent;
  const dst = gpu.scratchTexture(slot, height / 4, width * 4, layers);
  gpu.dispatch(matmulTransposeKernel, {
    params: new Params().u32(width, height / 4),
    resources: [src.view, dst.view],
    workgroups: [Math.ceil(width / 8), Math.ceil(height / 4 / 8), layers],
  });
  return dst.view;
}

/** Where a chunk of an operand sits in its buffer, and how it can reach a texture. */
interface Placement {
  /** The operand. */
  op: Stored;
  /** Layers to fill: the chunk's batch items, or 1 when the operand is broadcast. */
  layers: number;
  /** The stored rectangle: first row, first column, rows, columns. */
  rect: readonly [number, number, number, number];
  /** The texture extent to fill: padded rows × texels per row. */
  extent: readonly [number, number];
  /** Element index of the rectangle's first element in the first layer. */
  base: number;
  /** Floats from `base` to the rectangle's last element (all layers), rounded up to a multiple of 4. */
  span: number;
  /** The start and strides are multiples of 4 floats (16 bytes). */
  aligned: boolean;
  /** A plain buffer-to-texture copy fills the texture: no K padding, 256-byte aligned rows. */
  copyable: boolean;
}

/**
 * The placement of the stored rectangle `[r0, r0+rows) × [c0, c0+cols)` of an operand for batch items
 * [z0, z0+layers) to be brought into a texture of `height` rows × `width` texels whose K axis is `kAxis`.
 */
function place(
  op: Stored,
  z0: number,
  layers: number,
  rect: readonly [number, number, number, number],
  extent: readonly [number, number],
  kAxis: "rows" | "cols",
): Placement {
  const [r0, c0, rows, cols] = rect, [height, width] = extent;
  const layerCount = op.stride === 0 ? 1 : layers;
  const base = op.offset + z0 * op.stride + r0 * op.ld + c0;
  const noKPadding = kAxis === "cols" ? cols === width * 4 : rows === height;
  const aligned = base % 4 === 0 && op.ld % 4 === 0 && op.stride % 4 === 0;
  const last = rows === 0 || cols === 0 ? 0 : (layerCount - 1) * op.stride + (rows - 1) * op.ld + cols;
  return {
    op,
    layers: layerCount,
    rect,
    extent,
    base,
    span: Math.max(4, roundUp(last, 4)),
    aligned,
    copyable: noKPadding && cols % 4 === 0 && rows > 0 && op.ld % 64 === 0 && aligned,
  };
}

/**
 * Fills scratch texture `slot` with a placed rectangle of an operand, zero-padded to the placement's
 * extent. Padding along K must read as zeros; padding along m or n only feeds outputs that are never
 * stored, so a plain buffer-to-texture copy may leave it stale. The copy is used when the placement
 * allows; otherwise a pack kernel: from a flat texture copy of the rectangle's span when it is 16-byte
 * aligned (`matmul_pack_texture.wgsl`: texel loads instead of scalarised buffer loads, ≈ 2.4× faster on
 * llvmpipe for the 5120 × 1200 logits gradient), else from the buffer. All three give the same texels.
 *
 * @param kernel Pack kernel to use instead of the choice above, also where a copy would do (tests).
 */
function pack(gpu: Gpu, slot: string, at: Placement, kernel?: Kernel): Packed {
  const { op, layers, base } = at;
  const [, , rows, cols] = at.rect, [height, width] = at.extent;
  const { texture, view } = gpu.scratchTexture(slot, width, height, layers);
  const packed: Packed = { view, extent: [height, width, layers] };
  if (kernel === undefined && at.copyable) {
    for (let layer = 0; layer < layers; layer++) {
      gpu.copyBufferToTexture(
        { buffer: op.buffer, offset: (base + layer * op.stride) * 4, bytesPerRow: op.ld * 4 },
        { texture, origin: [0, 0, layer] },
        [cols / 4, rows, 1],
      );
    }
    return packed;
  }
  const workgroups = [Math.ceil(width / 8), Math.ceil(height / 8), layers] as const;
  if ((kernel ?? (at.aligned ? matmulPackTextureKernel : matmulPackKernel)) === matmulPackTextureKernel) {
    if (!at.aligned) {
      throw new RangeError(
        `matmulSoftware: pack "texture" needs operands whose offset and strides are multiples of 4 floats, ` +
          `got offset ${base}, ld ${op.ld}, stride ${op.stride}`,
      );
    }
    gpu.dispatch(matmulPackTextureKernel, {
      params: new Params().u32(rows, cols, op.ld / 4, op.stride / 4),
      resources: [flatTexture(gpu, "matmul-flat", op.buffer, at.span, base), view],
      workgroups,
    });
    return packed;
  }
  gpu.dispatch(matmulPackKernel, {
    params: new Params().u32(rows, cols, op.ld, base, op.stride),
    resources: [op.buffer, view],
    workgroups,
  });
  return packed;
}
