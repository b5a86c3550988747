// SwiGLU activation: act[r, i] = silu(gate) · up with gate = gu[r, i], up = gu[r, inter + i],
// silu(g) = g · σ(g). gu: [rows, 2·inter] row-major (gate_proj outputs, then up_proj outputs, as one
// fused projection writes them); act: [rows, inter]. One element per invocation, linear index folded.

struct Params {
  count: u32, // rows · inter
  inter: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gu: array<f32>;
@group(0) @binding(2) var<storage, read_write> act: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.count) {
    return;
  }
  let r = n / p.inter;
  let i = n - r * p.inter;
  let g = gu[r * 2u * p.inter + i];
  let u = gu[r * 2u * p.inter + p.inter + i];
  act[n] = g / (1.0 + exp(-g)) * u;
}
