import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import {
  swiglu,
  swigluBackward,
  swigluBackwardScalar,
  swigluScalar,
  swigluVec4Aligned,
} from "../../engine/kernels/swiglu.ts";
import { swigluBackward as backwardRef, swigluForward } from "../../engine/reference/swiglu.ts";
import { assertClose, bits, dispatched, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const TOL = { atol: 1e-6, rtol: 1e-5 };

/** Splits [rows, 2·inter] into gate and up, as f64. */
function split(gu: Float32Array, rows: number, inter: number): [Float64Array, Float64Array] {
  const gate = new Float64Array(rows * inter), up = new Float64Array(rows * inter);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inter; i++) {
      gate[r * inter + i] = gu[r * 2 * inter + i];
      up[r * inter + i] = gu[r * 2 * inter + inter + i];
    }
  }
  return [gate, up];
}

// The f64 reference backward is checked against central finite differences in
// tests/engine/reference/swiglu_test.ts.
Deno.test({
  name: "swiglu() and swigluBackward() match the f64 reference on the fused gate/up layout",
  ignore: !hasAdapter,
  fn: async () => {
    for (const [rows, inter] of [[5, 12], [70, 5], [1, 1]]) {
      const gu = randomArray(rows * 2 * inter, rows).map((v) => v * 6); // into silu's tails
      const dAct = randomArray(rows * inter, 2);
      const tgu = Tensor.from(gpu!, gu, [rows, 2 * inter]);
      const act = Tensor.zeros(gpu!, [rows, inter]), dgu = Tensor.zeros(gpu!, [rows, 2 * inter]);
      swiglu(tgu, act);
      swigluBackward(tgu, Tensor.from(gpu!, dAct, [rows, inter]), dgu);
      const [gate, up] = split(gu, rows, inter);
      const ref = backwardRef(gate, up, Float64Array.from(dAct));
      const [gact, gdgu] = await readTensors(act, dgu);
      assertClose(gact, swigluForward(gate, up), TOL, `act ${rows}×${inter}`);
      const [dGate, dUp] = split(gdgu, rows, inter);
      assertClose(dGate, ref.dGate, TOL, `dGate ${rows}×${inter}`);
      assertClose(dUp, ref.dUp, TOL, `dUp ${rows}×${inter}`);
    }
  },
});

Deno.test({
  name: "swiglu() and swigluBackward() take the vec4 kernels when inter is a multiple of 4, bit-identical",
  ignore: !hasAdapter,
  fn: async () => {
    // Rows off the 64-wide workgroup; aligned widths (incl. the proxy's 288), then unaligned ones.
    for (const [rows, inter] of [[70, 12], [67, 288], [1, 4], [70, 6], [3, 13]]) {
      const gu = randomArray(rows * 2 * inter, rows + inter).map((v) => v * 6);
      const dAct = randomArray(rows * inter, inter);
      const tgu = Tensor.from(gpu!, gu, [rows, 2 * inter]), tdAct = Tensor.from(gpu!, dAct, [rows, inter]);
      const act = Tensor.zeros(gpu!, [rows, inter]), dgu = Tensor.zeros(gpu!, [rows, 2 * inter]);
      const actScalar = Tensor.zeros(gpu!, [rows, inter]), dguScalar = Tensor.zeros(gpu!, [rows, 2 * inter]);
      const vec4 = swigluVec4Aligned(inter);
      assert.equal(vec4, inter % 4 === 0);
      // CPU rasterisers read the inputs from flat texture copies (swiglu_texture.wgsl).
      const kind = gpu!.software ? "texture" : "vec4";
      assert.deepEqual(dispatched(gpu!, () => swiglu(tgu, act)), [vec4 ? `swiglu_${kind}` : "swiglu"]);
      assert.deepEqual(dispatched(gpu!, () => swigluBackward(tgu, tdAct, dgu)), [
        vec4 ? `swiglu_backward_${kind}` : "swiglu_backward",
      ]);
      assert.deepEqual(dispatched(gpu!, () => swigluScalar(tgu, actScalar)), ["swiglu"]);
      assert.deepEqual(dispatched(gpu!, () => swigluBackwardScalar(tgu, tdAct, dguScalar)), [
        "swiglu_backward",
      ]);
      const [gact, gdgu, sact, sdgu] = await readTensors(act, dgu, actScalar, dguScalar);
      const [gate, up] = split(gu, rows, inter);
      const ref = backwardRef(gate, up, Float64Array.from(dAct));
      const what = `${rows}×${inter}`;
      assertClose(gact, swigluForward(gate, up), TOL, `act ${what}`);
      const [dGate, dUp] = split(gdgu, rows, inter);
      assertClose(dGate, ref.dGate, TOL, `dGate ${what}`);
      assertClose(dUp, ref.dUp, TOL, `dUp ${what}`);
      assert.deepEqual(bits(gact), bits(sact), `act ${what}`);
      assert.deepEqual(bits(gdgu), bits(sdgu), `dgu ${what}`);
    }
  },
});
