// SwiGLU backward (swiglu_backward.wgsl), four consecutive columns per invocation: with
// g = gu[r, i..i+3], u = gu[r, inter + i..i+3], σ = σ(g), d = dact[r, i..i+3] (i = 4·k), componentwise
//   dgu[r, i..i+3] = d · u · σ · (1 + g·(1 − σ)),   dgu[r, inter + i..i+3] = d · g · σ.
// gu, dgu: [rows, 2·inter] row-major; dact: [rows, inter]. Used when inter is a multiple of 4 (every
// half-row starts on a vec4 boundary; buffers bound as array<vec4<f32>>): on CPU rasterisers storage
// loads are scalarised per lane, so a vec4 per invocation quarters the load/store instructions. Same
// f32 operations in the same order per component as the scalar kernel (bit-identical results). Sizes
// below in vec4 units; linear index folded.

struct Params {
  count4: u32, // rows · inter / 4
  inter4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gu: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dact: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dgu: array<vec4<f32>>;

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
  let g = gu[at];
  let u = gu[at + p.inter4];
  let d = dact[n];
  let s = 1.0 / (1.0 + exp(-g));
  dgu[at] = d * u * s * (1.0 + g * (1.0 - s));
  dgu[at + p.inter4] = d * g * s;
}
