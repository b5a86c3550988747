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
  let fw = textureDimensions(t).x;
  return textureLoad(t, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
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

/** The floats of `src` from `offset` on, read back through a flat texture copy of them. */
function roundTrip(src: Tensor, slot: string, offset = 0): Tensor {
  const floats = src.size - offset;
  const out = Tensor.zeros(gpu!, [floats]);
  gpu!.dispatch(readBack, {
    params: new Params().u32(floats / 4),
    resources: [flatTexture(gpu!, slot, src.buffer, floats, offset), out.buffer],
    workgroups: linearGrid(gpu!, floats / 4),
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
    // From an offset (16-byte aligned, not row aligned): vec4 n holds floats offset + 4n ….
    const host = randomArray(4 * (2 * FLAT_TEXELS + 9), 5);
    const got = await roundTrip(Tensor.from(gpu!, host), "flat-test", 4 * 37).read();
    assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(host.buffer, 4 * 4 * 37), "offset 148");
  },
});

Deno.test({
  name: "flatTexture() widens rows past the 2-D size limit (power-of-two widths, one layer)",
  ignore: !hasAdapter,
  fn: async () => {
    const maxRows = gpu!.limits.maxTextureDimension2D;
    // Just over the limit's rows of 256 texels: the rows widen to 512 and end with a partial row.
    const floats = 4 * (maxRows * FLAT_TEXELS + 2 * FLAT_TEXELS + 5);
    const host = new Float32Array(floats);
    for (let i = 0; i < floats; i++) host[i] = i;
    const src = Tensor.from(gpu!, host);
    const got = await roundTrip(src, "flat-test-wide").read();
    const rows = Math.ceil(floats / 4 / (2 * FLAT_TEXELS));
    assert.deepEqual(gpu!.scratchTexture("flat-test-wide", 1, 1, 1).size, [2 * FLAT_TEXELS, rows, 1]);
    for (let i = 0; i < floats; i++) {
      if (got[i] !== host[i]) assert.fail(`element ${i}: got ${got[i]}, expected ${host[i]}`);
    }
  },
});

Deno.test({
  name: "flatTexture() refuses sizes and offsets that are not a multiple of 4 floats, and odd-width slots",
  ignore: !hasAdapter,
  fn: () => {
    const src = Tensor.zeros(gpu!, [8]);
    assert.throws(() => flatTexture(gpu!, "flat-test", src.buffer, 6), /floats 6 is not/);
    assert.throws(() => flatTexture(gpu!, "flat-test", src.buffer, 4, 2), /offset 2 is not/);
    // A slot whose texture was made for something else (not a power of two wide) cannot hold the layout.
    gpu!.scratchTexture("flat-test-odd", 300, 1, 1);
    assert.throws(
      () => flatTexture(gpu!, "flat-test-odd", src.buffer, 8),
      /300 texels wide, not a power of two/,
    );
  },
});
