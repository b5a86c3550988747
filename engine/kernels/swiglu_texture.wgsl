// SwiGLU activation, swiglu_vec4.wgsl reading gu from a flat texture copy (flat_texture.ts) instead of
// the storage buffer, for CPU rasterisers, where a storage-texture load costs a fraction of a
// scalarised storage-buffer load. Four consecutive columns per invocation: with gate = gu[r, i..i+3]
// and up = gu[r, inter + i..i+3] (i = 4·k), act[r, i..i+3] = silu(gate) · up componentwise, with the
// same f32 operations in the same order as swiglu.wgsl (bit-identical results). gu: [rows, 2·inter]
// row-major in vec4 number order; act: [rows, inter]. Sizes in vec4 units; linear index folded.

struct Params {
  count4: u32, // rows · inter / 4
  inter4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var gu: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> act: array<vec4<f32>>;

fn load_gu(n: u32) -> vec4<f32> {
  let fw = textureDimensions(gu).x;
  return textureLoad(gu, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.count4) {
    return;
  }
  let r = n / p.inter4;
  let i = n - r * p.inter4;
  let g = load_gu(r * 2u * p.inter4 + i);
  let u = load_gu(r * 2u * p.inter4 + p.inter4 + i);
  act[n] = g / (1.0 + exp(-g)) * u;
}
