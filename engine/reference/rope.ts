/**
 * Rotary position embeddings with HF's `rotate_half` convention: dimension i of a head is paired
 * with dimension i + hd/2 (not with i + 1), both rotated by the angle pos · invFreq[i].
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

/** Shape of a RoPE input: rows are tokens (b, t) row-major, each holding `heads` heads of `headDim`. */
export interface RopeDims {
  /** Sequences B. */
  batch: number;
  /** Tokens per sequence T; token t has position t. */
  seqLen: number;
  /** Heads per row. */
  heads: number;
  /** Head width hd, even. */
  headDim: number;
}

/**
 * cos and sin tables: invFreq[i] = 1/θ^(2i/hd) for i < hd/2; angle[t, j] = t · invFreq[j mod hd/2]
 * (HF's `cat(freqs, freqs)`), for positions t = 0..seqLen-1.
 *
 * @param seqLen Number of positions.
 * @param headDim Head width hd, even.
 * @param theta RoPE base θ (`rope_theta`).
 * @param invFreq hd/2 inverse frequencies to use instead of θ's (scaled RoPE; angle t·invFreq[j mod hd/2]).
 * @returns cos and sin, each [seqLen, headDim] row-major.
 * @throws {RangeError} When `headDim` is odd.
 */
export function ropeTables(
  seqLen: number,
  headDim: number,
  theta: number,
  invFreq?: Float64Array | null,
): { cos: Float64Array; sin: Float64Array } {
  if (headDim % 2 !== 0) throw new RangeError(`ropeTables(): headDim must be even, got ${headDim}`);
  const half = headDim / 2;
  const cos = new Float64Array(seqLen * headDim);
  const sin = new Float64Array(seqLen * headDim);
  for (let t = 0; t < seqLen; t++) {
    for (let j = 0; j < headDim; j++) {
      const angle = invFreq ? t * invFreq[j % half] : t / theta ** ((2 * (j % half)) / headDim);
      cos[t * headDim + j] = Math.cos(angle);
      sin[t * headDim + j] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * y = x·cos + rotate_half(x)·sin per head, with rotate_half(x) = cat(−x[hd/2:], x[:hd/2]).
 *
 * @param x Inputs, [batch·seqLen, heads·headDim] row-major.
 * @param cos From {@linkcode ropeTables}, [seqLen, headDim].
 * @param sin From {@linkcode ropeTables}, [seqLen, headDim].
 * @param dims Shape of `x`.
 * @returns y, same shape as x.
 * @throws {RangeError} When an array's length does not match its shape.
 */
export function ropeForward(
  x: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  dims: RopeDims,
): Float64Array {
  return rotate("ropeForward()", x, cos, sin, dims, 1);
}

/**
 * Gradient of {@linkcode ropeForward}: the inverse rotation applied to dy,
 * dx = dy·cos − rotate_half(dy)·sin.
 *
 * @param dy Gradient with respect to y, [batch·seqLen, heads·headDim].
 * @param cos From {@linkcode ropeTables}, [seqLen, headDim].
 * @param sin From {@linkcode ropeTables}, [seqLen, headDim].
 * @param dims Shape of `dy`.
 * @returns dx, same shape.
 * @throws {RangeError} When an array's length does not match its shape.
 */
export function ropeBackward(
  dy: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  dims: RopeDims,
): Float64Array {
  return rotate("ropeBackward()", dy, cos, sin, dims, -1);
}

/** Rotates each (i, i + hd/2) pair by +angle (`direction` 1) or −angle (`direction` −1). */
function rotate(
  op: string,
  x: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  dims: RopeDims,
  direction: 1 | -1,
): Float64Array {
  const { batch, seqLen, heads, headDim } = dims;
  assertLength(op, "x", x, { batch, seqLen, heads, headDim });
  assertLength(op, "cos", cos, { seqLen, headDim });
  assertLength(op, "sin", sin, { seqLen, headDim });
  const half = headDim / 2;
  const y = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) {
      for (let h = 0; h < heads; h++) {
        const base = ((b * seqLen + t) * heads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const x1 = x[base + i];
          const x2 = x[base + i + half];
          const c1 = cos[t * headDim + i], s1 = direction * sin[t * headDim + i];
          const c2 = cos[t * headDim + i + half], s2 = direction * sin[t * headDim + i + half];
          y[base + i] = x1 * c1 - x2 * s1;
          y[base + i + half] = x2 * c2 + x1 * s2;
        }
      }
    }
  }
  return y;
}
