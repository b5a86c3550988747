import assert from "node:assert/strict";
import { FLAT_TEXELS, flatTexture } from "../../engine/kernels/flat_texture.ts";
import type { Kernel } from "../../engine/kernel.ts";
import { Params } from "../../engine/params.ts";
import { Tensor } from "../../engine/tensor.ts";
import { linearGrid } from "../../engine/kernels/grid.ts";
import { hasAdapter, randomArray, testGpu } from "./support.ts";

const gpu = hasAdapter ? await testGpu() : null;

/** Reads every vec4 of a flat texture back into a buffer with the documented load function. */
const readBack: Kernel = {
  name: "flat_texture_read_back",
  source: `
struct Params { count4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var t: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
fn load_t(n: u32) -> vec4<f32> {
  let r = n / 256u;
  let h = textureDimensions(t).y;
  return textureLoad(t, vec2(n % 256u, r % h), r / h);
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n < p.count4) {
    out[n] = load_t(n);
  }
}`,
  bindings: ["uniform", "texture_read", "read_write"],
};

function roundTrip(src: Tensor, slot: string): Tensor {
  const out = Tensor.zeros(gpu!, [src.size]);
  gpu!.dispatch(readBack, {
    params: new Params().u32(src.size / 4),
    resources: [flatTexture(gpu!, slot, src.buffer, src.size), out.buffer],
    workgroups: linearGrid(gpu!, src.size / 4),
  });
  return out;
}

Deno.test({
  name: "flatTexture() lays a buffer out as documented: partial last row, reuse of a larger texture",
  ignore: !hasAdapter,
  fn: async () => {
    // Sizes below one row, whole rows, and rows plus a partial one; the slot's texture only grows, so
    // later (smaller) copies land in a taller texture than they need.
    for (const floats of [4, 4 * FLAT_TEXELS, 4 * (3 * FLAT_TEXELS + 17), 4 * 1000, 8]) {
      const host = randomArray(floats, floats);
      const src = Tensor.from(gpu!, host);
      const got = await roundTrip(src, "flat-test").read();
      assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(host.buffer), `${floats} floats`);
    }
  },
});

Deno.test({
  name: "flatTexture() spills rows past the 2-D size limit into further layers",
  ignore: !hasAdapter,
  fn: async () => {
    const maxRows = gpu!.limits.maxTextureDimension2D;
    // One layer and a bit: the copy splits at the layer boundary and ends with a partial row.
    const floats = 4 * (maxRows * FLAT_TEXELS + 2 * FLAT_TEXELS + 5);
    const host = new Float32Array(floats);
    for (let i = 0; i < floats; i++) host[i] = i;
    const src = Tensor.from(gpu!, host);
    const got = await roundTrip(src, "flat-test-layers").read();
    for (let i = 0; i < floats; i++) {
      if (got[i] !== host[i]) assert.fail(`element ${i}: got ${got[i]}, expected ${host[i]}`);
    }
  },
});

Deno.test({
  name: "flatTexture() refuses sizes that are not a multiple of 4 floats",
  ignore: !hasAdapter,
  fn: () => {
    const src = Tensor.zeros(gpu!, [8]);
    assert.throws(() => flatTexture(gpu!, "flat-test", src.buffer, 6), RangeError);
  },
});
