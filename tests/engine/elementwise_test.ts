import assert from "node:assert/strict";
import {
  add,
  axpby,
  axpbyCpu,
  axpy,
  binaryCpu,
  copy,
  fill,
  mul,
  readTensors,
  scale,
  sub,
  Tensor,
} from "../../engine/mod.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const EXACT = { atol: 0, rtol: 0 };
// The device may fuse α·x + β·y into one rounding; the reference rounds once from f64.
const ROUNDING = { atol: 1e-6, rtol: 1e-6 };

Deno.test({
  name: "add(), sub(), mul() match the CPU reference, with a row vector broadcast",
  ignore: !hasAdapter,
  fn: async () => {
    const x = randomArray(6 * 37, 1), row = randomArray(37, 2), full = randomArray(6 * 37, 3);
    const tx = Tensor.from(gpu!, x, [6, 37]);
    const cases = [
      ["add", add, row, [37]],
      ["sub", sub, full, [6, 37]],
      ["mul", mul, row, [37]],
    ] as const;
    for (const [op, fn, other, shape] of cases) {
      const ty = Tensor.from(gpu!, other, shape), out = Tensor.zeros(gpu!, [6, 37]);
      fn(tx, ty, out);
      assertClose(await out.read(), binaryCpu(op, x, other), EXACT, op);
    }
  },
});

Deno.test({
  name: "axpby(), axpy(), scale() match the CPU reference; scale() ignores NaN in out",
  ignore: !hasAdapter,
  fn: async () => {
    const x = randomArray(1000, 4), y = randomArray(1000, 5);
    const tx = Tensor.from(gpu!, x), ty = Tensor.from(gpu!, y);
    axpby(0.5, tx, -2, ty);
    assertClose(await ty.read(), axpbyCpu(0.5, x, -2, y), ROUNDING, "axpby");
    ty.write(y);
    axpy(3, tx, ty);
    assertClose(await ty.read(), axpbyCpu(3, x, 1, y), ROUNDING, "axpy");
    const out = Tensor.from(gpu!, new Float32Array(1000).fill(NaN));
    scale(tx, 0.25, out);
    assertClose(await out.read(), axpbyCpu(0.25, x, 0, y), ROUNDING, "scale");
  },
});

Deno.test({
  name: "fill() writes values of every dtype and copy() duplicates a tensor",
  ignore: !hasAdapter,
  fn: async () => {
    const f = Tensor.zeros(gpu!, [130]),
      i = Tensor.zeros(gpu!, [5], "i32"),
      u = Tensor.zeros(gpu!, [5], "u32");
    fill(f, -1.5);
    fill(i, -7);
    fill(u, 4_000_000_000);
    const g = Tensor.zeros(gpu!, [13, 10]);
    copy(f, g);
    const [hf, hi, hu, hg] = await readTensors(f, i, u, g);
    assert.ok(hf.every((v) => v === -1.5) && hg.every((v) => v === -1.5));
    assert.deepEqual([...hi], [-7, -7, -7, -7, -7]);
    assert.deepEqual([...hu], new Array(5).fill(4_000_000_000));
    fill(f, 0);
    assert.ok((await f.read()).every((v) => v === 0));
    assert.throws(() => fill(u, -1), /does not fit u32/);
  },
});

Deno.test({
  name: "elementwise kernels cover more elements than one dispatch row of workgroups",
  ignore: !hasAdapter,
  fn: async () => {
    // 65535 workgroups × 64 invocations < 4.3M elements: the grid folds into y.
    const n = 65_535 * 64 + 100;
    const a = Tensor.zeros(gpu!, [n]), b = Tensor.zeros(gpu!, [1]), out = Tensor.zeros(gpu!, [n]);
    fill(a, 1);
    fill(b, 2);
    add(a, b, out);
    const h = await out.read();
    assert.equal(h[0], 3);
    assert.equal(h[n - 1], 3);
    assert.ok(h.every((v) => v === 3));
  },
});

Deno.test({
  name: "elementwise kernels reject mismatched sizes, dtypes and aliasing",
  ignore: !hasAdapter,
  fn: () => {
    const a = Tensor.zeros(gpu!, [6]), b = Tensor.zeros(gpu!, [4]), i = Tensor.zeros(gpu!, [6], "i32");
    assert.throws(() => add(a, b, Tensor.zeros(gpu!, [6])), /do not divide/);
    assert.throws(() => add(a, a, a), /must not share a buffer/);
    assert.throws(() => mul(a, i, Tensor.zeros(gpu!, [6])), /must be f32/);
    assert.throws(() => axpy(1, a, b), /x has 6 elements, y has 4/);
    assert.throws(() => copy(a, i), /dtypes differ/);
  },
});
