import assert from "node:assert/strict";
import { readTensors, shapeSize, Tensor } from "../../engine/mod.ts";
import { hasAdapter, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

Deno.test("shapeSize() multiplies dimensions and rejects invalid ones", () => {
  assert.equal(shapeSize([2, 3, 4]), 24);
  assert.equal(shapeSize([]), 1);
  assert.equal(shapeSize([5, 0]), 0);
  assert.throws(() => shapeSize([2, -1]), /-1 is not a size/);
  assert.throws(() => shapeSize([1.5]), RangeError);
});

Deno.test({
  name: "Tensor.from() round-trips f32, i32 and u32 data",
  ignore: !hasAdapter,
  fn: async () => {
    const f = Tensor.from(gpu!, new Float32Array([1.5, -2, 3, 4, 5, 6]), [2, 3]);
    const i = Tensor.from(gpu!, new Int32Array([-1, 2, -3]));
    const u = Tensor.from(gpu!, new Uint32Array([7, 4_000_000_000]));
    assert.deepEqual(f.shape, [2, 3]);
    assert.equal(f.dtype, "f32");
    assert.equal(i.dtype, "i32");
    const [hf, hi, hu] = await readTensors(f, i, u);
    assert.ok(hf instanceof Float32Array && hi instanceof Int32Array && hu instanceof Uint32Array);
    assert.deepEqual([...hf], [1.5, -2, 3, 4, 5, 6]);
    assert.deepEqual([...hi], [-1, 2, -3]);
    assert.deepEqual([...hu], [7, 4_000_000_000]);
  },
});

Deno.test({
  name: "Tensor.zeros() is zero-filled and pads the buffer to 16 bytes",
  ignore: !hasAdapter,
  fn: async () => {
    const t = Tensor.zeros(gpu!, [3, 5]);
    assert.equal(t.size, 15);
    assert.equal(t.byteLength, 60);
    assert.equal(t.buffer.size, 64);
    assert.deepEqual([...await t.read()], new Array(15).fill(0));
    assert.equal(Tensor.zeros(gpu!, [0]).buffer.size, 16);
  },
});

Deno.test({
  name: "readTensors() reads several tensors in one round trip",
  ignore: !hasAdapter,
  fn: async () => {
    const ts = [1, 2, 3].map((v) => Tensor.from(gpu!, new Float32Array([v, v])));
    const before = gpu!.stats.readbacks;
    const hosts = await readTensors(...ts);
    assert.equal(gpu!.stats.readbacks, before + 1);
    assert.deepEqual(hosts.map((h) => h[1]), [1, 2, 3]);
  },
});

Deno.test({
  name: "Tensor.write() keeps program order with recorded work",
  ignore: !hasAdapter,
  fn: async () => {
    const src = Tensor.from(gpu!, new Float32Array([1, 2, 3, 4]));
    const snapshot = Tensor.zeros(gpu!, [4]);
    gpu!.copyBuffer(src.buffer, 0, snapshot.buffer, 0, 16); // recorded, not submitted
    src.write(new Float32Array([9, 9, 9, 9]));
    assert.deepEqual([...await snapshot.read()], [1, 2, 3, 4]);
    assert.deepEqual([...await src.read()], [9, 9, 9, 9]);
  },
});

Deno.test({
  name: "Tensor.reshape() shares storage and checks sizes",
  ignore: !hasAdapter,
  fn: async () => {
    const t = Tensor.from(gpu!, new Float32Array([1, 2, 3, 4, 5, 6]), [6]);
    const m = t.reshape([2, 3]);
    assert.equal(m.buffer, t.buffer);
    assert.deepEqual(m.shape, [2, 3]);
    assert.deepEqual([...await m.read()], [1, 2, 3, 4, 5, 6]);
    assert.throws(() => t.reshape([4, 2]), /sizes differ/);
    assert.throws(() => t.write(new Float32Array(5)), /Cannot write 5 elements/);
  },
});

Deno.test({
  name: "Tensor.zeros() refuses tensors beyond the storage binding limit",
  ignore: !hasAdapter,
  fn: () => {
    const limit = gpu!.limits.maxStorageBufferBindingSize;
    assert.throws(() => Tensor.zeros(gpu!, [limit / 4 + 1]), /exceed the binding limit/);
  },
});
