/**
 * Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
 * counter-based generator, so draw `(counter, key)` is a pure function and GPU kernels and this
 * reference produce the same bits. 32×32 → 64-bit products are built from 16-bit halves, exactly as
 * in `sample_labels.wgsl` (WGSL has no 64-bit integers).
 *
 * @module
 */

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;

/**
 * High and low 32 bits of the 64-bit product a·b.
 *
 * @param a Unsigned 32-bit integer.
 * @param b Unsigned 32-bit integer.
 * @returns `[hi, lo]`.
 */
export function mulHiLo(a: number, b: number): [number, number] {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const loLo = aLo * bLo, hiLo = aHi * bLo, loHi = aLo * bHi, hiHi = aHi * bHi;
  const cross = (loLo >>> 16) + (hiLo & 0xffff) + loHi;
  const hi = (hiHi + (hiLo >>> 16) + Math.floor(cross / 65536)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

/**
 * Philox-4x32 with 10 rounds.
 *
 * @param counter Four unsigned 32-bit words.
 * @param key Two unsigned 32-bit words.
 * @returns Four unsigned 32-bit outputs.
 * @example
 * ```ts
 * import { philox4x32 } from "./philox.ts";
 * // Random123 known-answer vector for a zero counter and key.
 * console.assert(philox4x32([0, 0, 0, 0], [0, 0])[0] === 0x6627e8d5);
 * ```
 */
export function philox4x32(counter: readonly number[], key: readonly number[]): Uint32Array {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const [hi0, lo0] = mulHiLo(M0, c0);
    const [hi1, lo1] = mulHiLo(M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return Uint32Array.of(c0, c1, c2, c3);
}
