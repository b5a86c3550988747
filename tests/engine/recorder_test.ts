import assert from "node:assert/strict";
import { type Kernel, linearGrid, Params, specialize, Tensor } from "../../engine/mod.ts";
import { hasAdapter, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

/** Test kernel: out[i] = out[i] · SCALE + p.add. */
const affine: Kernel = {
  name: "test_affine",
  source: `
struct Params { count: u32, add: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < p.count) { out[id.x] = out[id.x] * SCALE + p.add; }
}`,
  bindings: ["uniform", "read_write"],
};

Deno.test("specialize() prepends sorted constant declarations", () => {
  const src = specialize({ name: "k", source: "// body", bindings: [] }, { B: true, A: 3, C: 0.5 });
  assert.equal(src, "const A = 3;\nconst B = true;\nconst C = 5e-1;\n// body");
  assert.throws(() => specialize({ name: "k", source: "", bindings: [] }, { "1x": 1 }), /not an identifier/);
  assert.throws(() => specialize({ name: "k", source: "", bindings: [] }, { X: NaN }), /must be finite/);
});

Deno.test("Params packs 4-byte scalars in order and rejects out-of-range values", () => {
  const p = new Params().u32(1, 2).i32(-3).f32(0.5);
  assert.equal(p.byteLength, 16);
  const view = new DataView(p.bytes().slice().buffer);
  assert.deepEqual(
    [view.getUint32(0, true), view.getUint32(4, true), view.getInt32(8, true), view.getFloat32(12, true)],
    [1, 2, -3, 0.5],
  );
  assert.throws(() => new Params().u32(-1), RangeError);
  assert.throws(() => new Params().i32(2 ** 31), RangeError);
  assert.throws(() => new Params().u32(...new Array(65).fill(0)), /exceed 256 bytes/);
});

Deno.test({
  name: "dispatches accumulate into one submission with a distinct uniform slot each",
  ignore: !hasAdapter,
  fn: async () => {
    const out = Tensor.zeros(gpu!, [100]);
    const before = gpu!.stats;
    // out = ((0·2 + 0)·2 + 1)·2 + 2 … : 300 dispatches spanning two uniform chunks (256 slots each).
    for (let i = 0; i < 300; i++) {
      gpu!.dispatch(affine, {
        constants: { SCALE: 1 },
        params: new Params().u32(100).f32(i),
        resources: [out.buffer],
        workgroups: linearGrid(gpu!, 100),
      });
    }
    const h = await out.read();
    const after = gpu!.stats;
    assert.equal(after.dispatches - before.dispatches, 300);
    assert.equal(after.submits - before.submits, 1);
    assert.ok(h.every((v) => v === (299 * 300) / 2));
  },
});

Deno.test({
  name: "the pipeline cache compiles each kernel once per constant set",
  ignore: !hasAdapter,
  fn: async () => {
    const out = Tensor.from(gpu!, new Float32Array([1]));
    const compiled = gpu!.pipelines.size;
    const run = (scale: number) =>
      gpu!.dispatch(affine, {
        constants: { SCALE: scale },
        params: new Params().u32(1).f32(0),
        resources: [out.buffer],
        workgroups: [1],
      });
    run(3);
    run(3);
    run(5);
    assert.equal(gpu!.pipelines.size, compiled + 2);
    assert.equal(gpu!.pipelines.get(affine, { SCALE: 3 }), gpu!.pipelines.get(affine, { SCALE: 3 }));
    assert.deepEqual([...await out.read()], [45]);
  },
});

Deno.test({
  name: "Gpu.dispatch() rejects oversize grids and wrong binding counts",
  ignore: !hasAdapter,
  fn: () => {
    const out = Tensor.zeros(gpu!, [1]);
    const max = gpu!.limits.maxComputeWorkgroupsPerDimension;
    const request = { constants: { SCALE: 1 }, params: new Params().u32(1).f32(0) };
    assert.throws(
      () => gpu!.dispatch(affine, { ...request, resources: [out.buffer], workgroups: [max + 1] }),
      /exceed/,
    );
    assert.throws(
      () => gpu!.dispatch(affine, { ...request, resources: [], workgroups: [1] }),
      /has 2 bindings, got 1/,
    );
    assert.throws(
      () => gpu!.dispatch(affine, { constants: { SCALE: 1 }, resources: [out.buffer], workgroups: [1] }),
      /needs parameters/,
    );
  },
});

Deno.test({
  name: "linearGrid() folds large counts into two dimensions within the limit",
  ignore: !hasAdapter,
  fn: () => {
    const max = gpu!.limits.maxComputeWorkgroupsPerDimension;
    assert.deepEqual(linearGrid(gpu!, 100), [2, 1, 1]);
    const [x, y] = linearGrid(gpu!, (max + 1) * 64);
    assert.ok(x <= max && x * y * 64 >= (max + 1) * 64);
  },
});
