/**
 * The elementwise part of the SwiGLU MLP: h = silu(gate) · up, with silu(x) = x·σ(x). The MLP is
 * down_proj(h) with gate = gate_proj(x), up = up_proj(x); the projections are {@link ./linear.ts}.
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * h = silu(gate) · up, elementwise.
 *
 * @param gate gate_proj outputs, [rows, inter] row-major.
 * @param up up_proj outputs, same shape.
 * @returns h, same shape.
 * @throws {RangeError} When the lengths differ.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { swigluForward } from "./swiglu.ts";
 * assert.deepEqual(swigluForward(new Float64Array([0]), new Float64Array([5])), new Float64Array([0]));
 * ```
 */
export function swigluForward(gate: Float64Array, up: Float64Array): Float64Array {
  assertLength("swigluForward()", "up", up, { size: gate.length });
  const h = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) h[i] = gate[i] * sigmoid(gate[i]) * up[i];
  return h;
}

/**
 * Backward of {@linkcode swigluForward}: dGate = dh·up·σ(g)·(1 + g·(1 − σ(g))), dUp = dh·silu(g).
 *
 * @param gate gate_proj outputs of the forward pass.
 * @param up up_proj outputs of the forward pass.
 * @param dh Gradient with respect to h.
 * @returns dGate and dUp, each the shape of `gate`.
 * @throws {RangeError} When the lengths differ.
 */
export function swigluBackward(
  gate: Float64Array,
  up: Float64Array,
  dh: Float64Array,
): { dGate: Float64Array; dUp: Float64Array } {
  assertLength("swigluBackward()", "up", up, { size: gate.length });
  assertLength("swigluBackward()", "dh", dh, { size: gate.length });
  const dGate = new Float64Array(gate.length);
  const dUp = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const s = sigmoid(gate[i]);
    dGate[i] = dh[i] * up[i] * s * (1 + gate[i] * (1 - s));
    dUp[i] = dh[i] * gate[i] * s;
  }
  return { dGate, dUp };
}
