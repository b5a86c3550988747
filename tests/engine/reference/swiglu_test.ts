import assert from "node:assert/strict";
import { swigluBackward, swigluForward } from "../../../engine/reference/swiglu.ts";
import { assertGradient, dot, randomArray } from "./gradient_check.ts";

Deno.test("swigluForward() computes silu(gate) · up", () => {
  const h = swigluForward(new Float64Array([1, -2]), new Float64Array([3, 0.5]));
  assert.deepEqual(h, new Float64Array([3 / (1 + Math.exp(-1)), (0.5 * -2) / (1 + Math.exp(2))]));
});

Deno.test("swigluBackward() matches finite differences", () => {
  const gate = randomArray(3, "gate", 20, 2);
  const up = randomArray(3, "up", 20);
  const r = randomArray(3, "r", 20);
  const f = () => dot(r, swigluForward(gate, up));
  const { dGate, dUp } = swigluBackward(gate, up, r);
  assertGradient("dGate", f, gate, dGate);
  assertGradient("dUp", f, up, dUp);
});
