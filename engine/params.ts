/**
 * Builder for a kernel's uniform parameter struct.
 *
 * The WGSL side is a struct of 4-byte scalars in the same order, e.g.
 * `struct Params { m: u32, n: u32, alpha: f32 }` ⇐ `new Params().u32(m, n).f32(alpha)`.
 * Keep structs to scalars: vectors would need WGSL's 8/16-byte alignment.
 *
 * @module
 */

/** Largest parameter struct, in bytes (one uniform slot). */
export const MAX_PARAMS_BYTES = 256;

/**
 * Accumulates 4-byte scalars for a uniform struct.
 *
 * @example
 * ```ts
 * import { Params } from "./params.ts";
 * const p = new Params().u32(64, 32).f32(0.5);
 * console.assert(p.byteLength === 12);
 * ```
 */
export class Params {
  #words = new Uint32Array(MAX_PARAMS_BYTES / 4);
  #floats = new Float32Array(this.#words.buffer);
  #ints = new Int32Array(this.#words.buffer);
  #count = 0;

  /** Appends unsigned 32-bit integers. @throws {RangeError} On a value outside [0, 2³²). */
  u32(...values: number[]): this {
    for (const v of values) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
        throw new RangeError(`Cannot pass ${v} as a u32 kernel parameter`);
      }
      this.#words[this.#next()] = v;
    }
    return this;
  }

  /** Appends signed 32-bit integers. @throws {RangeError} On a value outside the i32 range. */
  i32(...values: number[]): this {
    for (const v of values) {
      if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) {
        throw new RangeError(`Cannot pass ${v} as an i32 kernel parameter`);
      }
      this.#ints[this.#next()] = v;
    }
    return this;
  }

  /** Appends 32-bit floats (rounded from f64). */
  f32(...values: number[]): this {
    for (const v of values) this.#floats[this.#next()] = v;
    return this;
  }

  /** Size of the struct so far, in bytes. */
  get byteLength(): number {
    return this.#count * 4;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array {
    return new Uint8Array(this.#words.buffer, 0, this.byteLength);
  }

  #next(): number {
    if (this.#count === this.#words.length) {
      throw new RangeError(`Kernel parameters exceed ${MAX_PARAMS_BYTES} bytes`);
    }
    return this.#count++;
  }
}
