// SwiGLU backward, swiglu_backward_vec4.wgsl reading gu and dact from flat texture copies
// (flat_texture.ts) instead of the storage buffers, for CPU rasterisers (see swiglu_texture.wgsl).
// With g = gu[r, i..i+3], u = gu[r, inter + i..i+3], σ = σ(g), d = dact[r, i..i+3] (i = 4·k),
// componentwise
//   dgu[r, i..i+3] = d · u · σ · (1 + g·(1 − σ)),   dgu[r, inter + i..i+3] = d · g · σ,
// the same f32 operations in the same order as swiglu_backward.wgsl (bit-identical results).
// gu, dgu: [rows, 2·inter] row-major; dact: [rows, inter]. Sizes in vec4 units; linear index folded.

struct Params {
  count4: u32, // rows · inter / 4
  inter4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var gu: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var dact: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> dgu: array<vec4<f32>>;

fn load_gu(n: u32) -> vec4<f32> {
  let fw = textureDimensions(gu).x;
  return textureLoad(gu, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_dact(n: u32) -> vec4<f32> {
  let fw = textureDimensions(dact).x;
  return textureLoad(dact, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
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
  let at = r * 2u * p.inter4 + i;
  let g = load_gu(at);
  let u = load_gu(at + p.inter4);
  let d = load_dact(n);
  let s = 1.0 / (1.0 + exp(-g));
  dgu[at] = d * u * s * (1.0 + g * (1.0 - s));
  dgu[at + p.inter4] = d * g * s;
}
