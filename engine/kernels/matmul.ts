/**
 * `matmul()`: batched, strided GEMM dispatching to the GEMM family chosen for the device.
 *
 * @module
 */
import { type MatmulOptions, resolveGemm } from "../gemm_spec.ts";
import type { GemmFamily } from "../gpu.ts";
import type { Tensor } from "../tensor.ts";
import { matmulTiled, type TiledConfig } from "./matmul_tiled.ts";
import { matmulSoftware } from "./matmul_texture.ts";

/** `matmul` options: the GEMM semantics of {@linkcode MatmulOptions} plus the family to use. */
export interface MatmulCallOptions extends MatmulOptions {
  /** Kernel family (default: `gpu.gemmFamily`, chosen from the adapter). */
  family?: GemmFamily;
  /** Tile configuration for the tiled family (default: `gpu.tiledConfig`, chosen from the adapter). */
  tiled?: TiledConfig;
}

/**
 * Records `C = α·op(A)·op(B) + β·C` (f32, row-major; see `gemm_spec.ts` for the exact semantics of
 * transposes, batch strides, leading dimensions and offsets).
 *
 * @param a Operand A (`[…, m, k]`, or `[…, k, m]` with `transA`).
 * @param b Operand B (`[…, k, n]`, or `[…, n, k]` with `transB`).
 * @param c Output C (`[…, m, n]`), a different buffer from A and B.
 * @param options Transposes, α, β, explicit sizes/strides, family.
 * @throws {RangeError} On inconsistent shapes or out-of-bounds strides.
 * @throws {TypeError} When C shares a buffer with A or B, or dtypes are not f32.
 *
 * @example
 * ```ts ignore
 * import { acquireDevice, matmul, Tensor } from "../mod.ts";
 * const gpu = await acquireDevice();
 * const x = Tensor.from(gpu, new Float32Array(6).fill(1), [2, 3]);
 * const w = Tensor.from(gpu, new Float32Array(12).fill(2), [4, 3]);
 * const y = Tensor.zeros(gpu, [2, 4]);
 * matmul(x, w, y, { transB: true }); // y = x · wᵀ
 * console.log(await y.read()); // all 6
 * ```
 */
export function matmul(a: Tensor, b: Tensor, c: Tensor, options: MatmulCallOptions = {}): void {
  for (const [name, t] of [["A", a], ["B", b], ["C", c]] as const) {
    if (t.dtype !== "f32") throw new TypeError(`matmul: ${name} must be f32, got ${t.dtype}`);
    if (t.gpu !== c.gpu) throw new TypeError(`matmul: ${name} lives on another device`);
  }
  if (c.buffer === a.buffer || c.buffer === b.buffer) {
    throw new TypeError("matmul: C must not share a buffer with A or B");
  }
  const spec = resolveGemm(a, b, c, options);
  const family = options.family ?? c.gpu.gemmFamily;
  if (family === "software") matmulSoftware(c.gpu, a.buffer, b.buffer, c.buffer, spec);
  else matmulTiled(c.gpu, a.buffer, b.buffer, c.buffer, spec, options.tiled ?? c.gpu.tiledConfig);
}
