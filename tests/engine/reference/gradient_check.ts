/**
 * Test helpers: seeded random arrays and central finite-difference gradient checks in float64.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";

/**
 * A Float64Array of `n` normal(mean, std) values from a seeded stream.
 *
 * @param seed Seed.
 * @param stream Stream label.
 * @param n Length.
 * @param std Standard deviation.
 * @param mean Mean.
 * @returns The values.
 */
export function randomArray(seed: number, stream: string, n: number, std = 1, mean = 0): Float64Array {
  const rng = new Rng(seed, stream);
  return Float64Array.from({ length: n }, () => mean + std * rng.nextNormal());
}

/**
 * Central finite differences of `f` with respect to every element of `x` (restored afterwards).
 *
 * @param f Scalar function reading `x`.
 * @param x Array perturbed in place.
 * @param h Step.
 * @returns (f(x + h e_i) − f(x − h e_i)) / 2h per element.
 */
export function finiteDifference(f: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const plus = f();
    x[i] = saved - h;
    const minus = f();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/**
 * Relative error ‖numeric − analytic‖₂ / ‖analytic‖₂ (or the absolute norm when `analytic` is 0).
 *
 * @param numeric Finite-difference gradient.
 * @param analytic Backward-pass gradient.
 * @returns The error.
 */
export function relativeError(numeric: Float64Array, analytic: Float64Array): number {
  let diff = 0, norm = 0;
  for (let i = 0; i < analytic.length; i++) {
    diff += (numeric[i] - analytic[i]) ** 2;
    norm += analytic[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/**
 * Asserts that `analytic` matches the finite-difference gradient of `f` at `x` to `tolerance`
 * (relative, in the 2-norm) and that it is not identically zero.
 *
 * @param label What is checked, for the message.
 * @param f Scalar function reading `x`.
 * @param x Array perturbed in place.
 * @param analytic Backward-pass gradient of `f` with respect to `x`.
 * @param tolerance Largest accepted relative error.
 */
export function assertGradient(
  label: string,
  f: () => number,
  x: Float64Array,
  analytic: Float64Array,
  tolerance = 1e-6,
): void {
  assert.equal(analytic.length, x.length, `${label}: gradient length`);
  assert.ok(analytic.some((value) => value !== 0), `${label}: gradient is identically zero`);
  const error = relativeError(finiteDifference(f, x), analytic);
  assert.ok(error <= tolerance, `${label}: relative error ${error.toExponential(2)} exceeds ${tolerance}`);
}

/**
 * Σ_i r_i · y_i, the scalar used to check an op's backward with output gradient `r`.
 *
 * @param r Output gradient.
 * @param y Op output.
 * @returns The dot product.
 */
export function dot(r: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += r[i] * y[i];
  return sum;
}
