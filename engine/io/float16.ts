/**
 * Conversions between IEEE half precision (F16), bfloat16 (BF16) bit patterns and numbers.
 * Encoding rounds to nearest, ties to even; NaN stays NaN and overflow becomes infinity.
 *
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Decodes a 16-bit IEEE half-precision bit pattern.
 *
 * @param bits The bit pattern, 0..65535.
 * @returns The exact value it encodes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { float16BitsToNumber } from "./float16.ts";
 * assert.deepEqual(float16BitsToNumber(0x3c00), 1);
 * ```
 */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * Encodes a number as a 16-bit IEEE half-precision bit pattern, first rounding it to float32
 * (as a `Float32Array` holding it would), then to half precision, to nearest-even.
 *
 * @param value Any number.
 * @returns The bit pattern, 0..65535.
 */
export function numberToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal result: value = m · 2^(halfExponent - 14) in units of 2^-24.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let result = full >>> shift;
    if (remainder > halfway || (remainder === halfway && (result & 1) === 1)) result++;
    return sign | result;
  }
  let result = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (remainder > 0x1000 || (remainder === 0x1000 && (result & 1) === 1)) result++;
  return sign | result;
}

/**
 * Decodes a bfloat16 bit pattern (the upper 16 bits of a float32).
 *
 * @param bits The bit pattern, 0..65535.
 * @returns The exact value it encodes.
 */
export function bfloat16BitsToNumber(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/**
 * Encodes a number as a bfloat16 bit pattern, first rounding it to float32, then to bfloat16,
 * to nearest-even.
 *
 * @param value Any number.
 * @returns The bit pattern, 0..65535.
 */
export function numberToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) & 0x8000) | 0x7fc0;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
