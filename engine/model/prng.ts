/**
 * A small seeded pseudo-random generator: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32, with 53-bit uniforms and Box-Muller normals. Pure 32-bit integer arithmetic, so the
 * integer and uniform streams are identical on every JavaScript engine.
 *
 * @module
 */

/** splitmix32 step: returns the next state and a well-mixed 32-bit output. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a hash of a string's UTF-16 code units, 32 bits. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Deterministic generator of uniform and normal variates. */
export class Rng {
  #s = new Uint32Array(4);
  #spareNormal: number | undefined;

  /**
   * Creates a generator. Different `(seed, stream)` pairs give independent-looking sequences.
   *
   * @param seed A non-negative safe integer.
   * @param stream A label naming the sub-stream (e.g. a parameter name); `""` by default.
   * @throws {RangeError} When `seed` is not a non-negative safe integer.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "./prng.ts";
   * assert.deepEqual(new Rng(7, "x").nextUint32(), new Rng(7, "x").nextUint32());
   * ```
   */
  constructor(seed: number, stream = "") {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Cannot seed generator: seed must be a non-negative safe integer, got ${seed}`);
    }
    let state = fnv1a(stream);
    for (const word of [seed >>> 0, Math.floor(seed / 2 ** 32)]) state = splitmix32((state ^ word) >>> 0)[1];
    for (let i = 0; i < 4; i++) [state, this.#s[i]] = splitmix32(state);
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /**
   * Next 32-bit output.
   *
   * @returns An integer in [0, 2³²).
   */
  nextUint32(): number {
    const s = this.#s;
    const x = Math.imul(s[1], 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return result;
  }

  /**
   * Next uniform variate with 53 random bits.
   *
   * @returns A number in [0, 1).
   */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * Next standard normal variate (Box-Muller; each pair of uniforms gives two normals).
   *
   * @returns A sample of N(0, 1).
   */
  nextNormal(): number {
    if (this.#spareNormal !== undefined) {
      const spare = this.#spareNormal;
      this.#spareNormal = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextFloat()));
    const angle = 2 * Math.PI * this.nextFloat();
    this.#spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
