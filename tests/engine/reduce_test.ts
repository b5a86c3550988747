import assert from "node:assert/strict";
import { reduce, type ReduceAxis, reduceCpu, type ReduceOp, Tensor } from "../../engine/mod.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

const OUT_SIZE = (axis: ReduceAxis, shape: number[]) =>
  axis === "last" ? shape.slice(0, -1).reduce((p, d) => p * d, 1) : axis === "leading" ? shape.at(-1)! : 1;

async function check(op: ReduceOp, axis: ReduceAxis, shape: number[]): Promise<Float32Array> {
  const n = shape.reduce((p, d) => p * d, 1);
  const x = randomArray(n, 11), y = randomArray(n, 12);
  const tx = Tensor.from(gpu!, x, shape), ty = Tensor.from(gpu!, y, shape);
  const out = Tensor.zeros(gpu!, [OUT_SIZE(axis, shape)]);
  reduce(op, axis, tx, out, op === "dot" ? ty : undefined);
  const got = await out.read();
  // f32 serial sums of terms in [-1, 1]: error grows with the summed length.
  const len = axis === "last" ? shape.at(-1)! : axis === "leading" ? n / shape.at(-1)! : n;
  assertClose(
    got,
    reduceCpu(op, axis, x, shape, y),
    { atol: 1e-6 * len, rtol: 1e-5 },
    `${op} ${axis} [${shape}]`,
  );
  return got;
}

Deno.test({
  name: "reduce() matches the CPU reference for sum, sumsq and dot over every axis",
  ignore: !hasAdapter,
  fn: async () => {
    for (const op of ["sum", "sumsq", "dot"] as const) {
      for (const axis of ["last", "leading", "all"] as const) {
        await check(op, axis, [7, 33]);
      }
    }
  },
});

Deno.test({
  name: "reduce() chains passes for lengths beyond one chunk",
  ignore: !hasAdapter,
  fn: async () => {
    await check("sum", "last", [3, 5000]); // 5 partial sums per row
    await check("sumsq", "leading", [2500, 4]); // column sums over 2500 rows
    await check("dot", "all", [1_100_000]); // 1075 partials, then 2, then 1
  },
});

Deno.test({
  name: "reduce() is bit-identical across runs",
  ignore: !hasAdapter,
  fn: async () => {
    const a = await check("sum", "all", [300_000]);
    const b = await check("sum", "all", [300_000]);
    assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer));
  },
});

Deno.test({
  name: "reduce() writes zeros for an empty reduced axis and checks output sizes",
  ignore: !hasAdapter,
  fn: async () => {
    const x = Tensor.zeros(gpu!, [3, 0]);
    const out = Tensor.from(gpu!, new Float32Array([5, 5, 5]));
    reduce("sum", "last", x, out);
    assert.deepEqual([...await out.read()], [0, 0, 0]);
    assert.throws(() => reduce("sum", "leading", Tensor.zeros(gpu!, [4, 6]), out), /must have 6 elements/);
    assert.throws(
      () => reduce("dot", "all", Tensor.zeros(gpu!, [4]), Tensor.zeros(gpu!, [1])),
      /needs a second/,
    );
  },
});
