import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { rmsNorm, rmsNormScalar, rmsNormVec4Aligned } from "../../engine/kernels/rmsnorm.ts";
import { rmsNormBackward, rmsNormBackwardScalar } from "../../engine/kernels/rmsnorm_backward.ts";
import { rmsNormBackward as backwardRef, rmsNormForward } from "../../engine/reference/rmsnorm.ts";
import { assertClose, bits, dispatched, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
// f32 sums over dim (forward, dx) and over up to 4096 rows (dw) against f64 references.
const TOL = { atol: 2e-5, rtol: 2e-5 };
// Rows off the 64-wide workgroup and the 64-row weight-gradient chunks; widths not multiples of 4.
const SHAPES = [[5, 8], [70, 7], [4096, 64], [3, 1]];

Deno.test({
  name: "rmsNorm() matches the f64 reference output and inverse RMS",
  ignore: !hasAdapter,
  fn: async () => {
    for (const [rows, dim] of SHAPES) {
      const x = randomArray(rows * dim, 1), w = randomArray(dim, 2);
      const y = Tensor.zeros(gpu!, [rows, dim]), inv = Tensor.zeros(gpu!, [rows]);
      rmsNorm(Tensor.from(gpu!, x, [rows, dim]), Tensor.from(gpu!, w), 1e-5, y, inv);
      const ref = rmsNormForward(Float64Array.from(x), Float64Array.from(w), rows, dim, 1e-5);
      const [gy, ginv] = await readTensors(y, inv);
      assertClose(gy, ref.y, TOL, `y ${rows}×${dim}`);
      assertClose(ginv, ref.invRms, TOL, `invRms ${rows}×${dim}`);
    }
  },
});

// The f64 reference backward is checked against central finite differences in
// tests/engine/reference/rmsnorm_test.ts.
Deno.test({
  name: "rmsNormBackward() matches the f64 reference dx (stored and accumulated) and dw",
  ignore: !hasAdapter,
  fn: async () => {
    for (const [rows, dim] of SHAPES) {
      const x = randomArray(rows * dim, 3), w = randomArray(dim, 4), dy = randomArray(rows * dim, 5);
      const base = randomArray(rows * dim, 6);
      const ref = rmsNormForward(Float64Array.from(x), Float64Array.from(w), rows, dim, 1e-5);
      const tx = Tensor.from(gpu!, x, [rows, dim]), tw = Tensor.from(gpu!, w);
      const tinv = Tensor.from(gpu!, new Float32Array(ref.invRms)), tdy = Tensor.from(gpu!, dy, [rows, dim]);
      const dx = Tensor.zeros(gpu!, [rows, dim]), acc = Tensor.from(gpu!, base, [rows, dim]);
      const dw = Tensor.zeros(gpu!, [dim]);
      rmsNormBackward(tx, tw, tinv, tdy, dx, { dw });
      rmsNormBackward(tx, tw, tinv, tdy, acc, { accumulate: true });
      const expected = backwardRef(
        Float64Array.from(x),
        Float64Array.from(w),
        ref.invRms,
        Float64Array.from(dy),
        rows,
        dim,
      );
      const [gdx, gacc, gdw] = await readTensors(dx, acc, dw);
      assertClose(gdx, expected.dx, TOL, `dx ${rows}×${dim}`);
      assertClose(gacc, expected.dx.map((v, i) => v + base[i]), TOL, `accumulated dx ${rows}×${dim}`);
      assertClose(gdw, expected.dw, { atol: 1e-6 * Math.sqrt(rows) * 10, rtol: 1e-5 }, `dw ${rows}×${dim}`);
    }
  },
});

Deno.test({
  name: "rmsNorm() and rmsNormBackward() take the vec4 kernels when dim is a multiple of 4, bit-identical",
  ignore: !hasAdapter,
  fn: async () => {
    // Rows off the 64-wide workgroup; aligned widths (incl. the proxy's 128), then unaligned ones.
    for (const [rows, dim] of [[70, 128], [130, 12], [1, 4], [70, 7], [65, 6]]) {
      const x = randomArray(rows * dim, 7), w = randomArray(dim, 8), dy = randomArray(rows * dim, 9);
      const base = randomArray(rows * dim, 10);
      const tx = Tensor.from(gpu!, x, [rows, dim]),
        tw = Tensor.from(gpu!, w),
        tdy = Tensor.from(gpu!, dy, [rows, dim]);
      const [y, inv, ys, invs] = [[rows, dim], [rows], [rows, dim], [rows]].map((s) => Tensor.zeros(gpu!, s));
      const [dx, dxs, dw, dws] = [[rows, dim], [rows, dim], [dim], [dim]].map((s) => Tensor.zeros(gpu!, s));
      const [acc, accs] = [0, 1].map(() => Tensor.from(gpu!, base, [rows, dim]));
      const vec4 = rmsNormVec4Aligned(dim);
      assert.equal(vec4, dim % 4 === 0);
      // CPU rasterisers read the inputs from flat texture copies (rmsnorm_texture.wgsl).
      const kind = gpu!.software ? "texture" : "vec4";
      const forward = vec4 ? `rmsnorm_${kind}` : "rmsnorm",
        backward = vec4 ? `rmsnorm_backward_${kind}` : "rmsnorm_backward";
      assert.deepEqual(dispatched(gpu!, () => rmsNorm(tx, tw, 1e-5, y, inv)), [forward]);
      assert.deepEqual(dispatched(gpu!, () => rmsNormScalar(tx, tw, 1e-5, ys, invs)), ["rmsnorm"]);
      // The backward pass reads the inverse RMS of the (checked) forward pass.
      // The gain gradient's partials read flat texture copies too on CPU rasterisers (rows·dim a
      // multiple of 4); the scalar entry point keeps the buffer kernels, so the bits are compared below.
      const weightGrad = gpu!.software && (rows * dim) % 4 === 0
        ? "rmsnorm_weight_grad_texture"
        : "rmsnorm_weight_grad";
      assert.deepEqual(dispatched(gpu!, () => rmsNormBackward(tx, tw, inv, tdy, dx, { dw })), [
        backward,
        weightGrad,
        "reduce",
      ]);
      assert.deepEqual(dispatched(gpu!, () => rmsNormBackward(tx, tw, inv, tdy, acc, { accumulate: true })), [
        backward,
      ]);
      assert.deepEqual(dispatched(gpu!, () => rmsNormBackwardScalar(tx, tw, inv, tdy, dxs, { dw: dws })), [
        "rmsnorm_backward",
        "rmsnorm_weight_grad",
        "reduce",
      ]);
      assert.deepEqual(
        dispatched(gpu!, () => rmsNormBackwardScalar(tx, tw, inv, tdy, accs, { accumulate: true })),
        ["rmsnorm_backward"],
      );
      const got = await readTensors(y, inv, dx, acc, dw);
      const scalar = await readTensors(ys, invs, dxs, accs, dws);
      const what = `${rows}×${dim}`;
      const ref = rmsNormForward(Float64Array.from(x), Float64Array.from(w), rows, dim, 1e-5);
      assertClose(got[0], ref.y, TOL, `y ${what}`);
      assertClose(got[1], ref.invRms, TOL, `invRms ${what}`);
      const expected = backwardRef(
        Float64Array.from(x),
        Float64Array.from(w),
        ref.invRms,
        Float64Array.from(dy),
        rows,
        dim,
      );
      assertClose(got[2], expected.dx, TOL, `dx ${what}`);
      assertClose(got[3], expected.dx.map((v, i) => v + base[i]), TOL, `accumulated dx ${what}`);
      assertClose(got[4], expected.dw, { atol: 1e-6 * Math.sqrt(rows) * 10, rtol: 1e-5 }, `dw ${what}`);
      ["y", "inv", "dx", "accumulated dx", "dw"].forEach((name, i) => {
        assert.deepEqual(bits(got[i]), bits(scalar[i]), `${name} ${what}`);
      });
    }
  },
});
