// SwiGLU activation (swiglu.wgsl), four consecutive columns per invocation: with gate = gu[r, i..i+3]
// and up = gu[r, inter + i..i+3] (i = 4·k), act[r, i..i+3] = silu(gate) · up componentwise.
// gu: [rows, 2·inter] row-major (gate columns, then up columns); act: [rows, inter]. Used when inter is
// a multiple of 4, so both halves of every gu row and every act row start on a vec4 boundary and the
// buffers are read and written as array<vec4<f32>>. On CPU rasterisers storage loads are scalarised per
// lane (one invocation per lane), so a vec4 per invocation quarters the load/store instructions. Each
// component is computed with the same f32 operations, in the same order, as swiglu.wgsl (bit-identical
// results). Sizes below in vec4 units; linear index folded.

struct Params {
  count4: u32, // rows · inter / 4
  inter4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gu: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> act: array<vec4<f32>>;

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
  let g = gu[r * 2u * p.inter4 + i];
  let u = gu[r * 2u * p.inter4 + p.inter4 + i];
  act[n] = g / (1.0 + exp(-g)) * u;
}
