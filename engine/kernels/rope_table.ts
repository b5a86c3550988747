/**
 * The cos/sin table of rotary position embeddings, computed on the host in float64 (as
 * `engine/reference/rope.ts`) and rounded to f32.
 *
 * @module
 */

/**
 * Rotation table for positions 0 … positions − 1: row p holds cos(p·f_i) for i < hd/2, then
 * sin(p·f_i), with f_i = 1/θ^(2i/hd) (HF's `inv_freq`), or the given scaled frequencies
 * (`ropeInverseFrequencies` in engine/model, for `rope_scaling`).
 *
 * @param positions Number of positions.
 * @param headDim Head width hd, even.
 * @param theta RoPE base θ (`rope_theta`).
 * @param invFreq hd/2 inverse frequencies to use instead of θ's (angle p·f_i); omitted: plain RoPE.
 * @returns The table, [positions, hd] row-major.
 * @throws {RangeError} When `headDim` is odd.
 * @example
 * ```ts
 * import { ropeTable } from "./rope_table.ts";
 * const t = ropeTable(2, 4, 10000);
 * console.assert(t[0] === 1 && t[2] === 0); // position 0: cos 1, sin 0
 * ```
 */
export function ropeTable(
  positions: number,
  headDim: number,
  theta: number,
  invFreq?: Float64Array | null,
): Float32Array {
  if (headDim % 2 !== 0) throw new RangeError(`ropeTable(): headDim must be even, got ${headDim}`);
  if (invFreq && invFreq.length !== headDim / 2) {
    throw new RangeError(
      `ropeTable(): invFreq has ${invFreq.length} values, expected headDim/2 = ${headDim / 2}`,
    );
  }
  const half = headDim / 2;
  const table = new Float32Array(positions * headDim);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = invFreq ? p * invFreq[i] : p / theta ** ((2 * i) / headDim);
      table[p * headDim + i] = Math.cos(angle);
      table[p * headDim + half + i] = Math.sin(angle);
    }
  }
  return table;
}
