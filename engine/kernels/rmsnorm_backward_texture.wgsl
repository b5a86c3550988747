// RMSNorm backward with respect to the input, rmsnorm_backward_vec4.wgsl reading x, w, dy (and, with
// ACCUMULATE, the previous dx) from flat texture copies (flat_texture.ts) instead of the storage
// buffers, for CPU rasterisers (see rmsnorm_texture.wgsl). One row per invocation; with s = inv[r]:
//   dx[r, k] = s·w[k]·dy[r, k] − (s³ / dim)·x[r, k]·Σ_j dy[r, j]·w[j]·x[r, j],
// stored into dx (ACCUMULATE false) or added to the previous dx (ACCUMULATE true, read from the copy
// `dx_old` taken just before this dispatch). The projection adds (dy·w)·x one element at a time in
// increasing j and each dx is the same expression as in rmsnorm_backward.wgsl (bit-identical
// results). x, dy, dx: [rows, dim] row-major (dim a multiple of 4); w: [dim]; inv: [rows]. Linear index
// folded.

struct Params {
  rows: u32,
  dim: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var x: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var w: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read> inv: array<f32>;
@group(0) @binding(4) var dy: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(5) var dx_old: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(6) var<storage, read_write> dx: array<vec4<f32>>;

fn load_x(n: u32) -> vec4<f32> {
  let fw = textureDimensions(x).x;
  return textureLoad(x, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_w(n: u32) -> vec4<f32> {
  let fw = textureDimensions(w).x;
  return textureLoad(w, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_dy(n: u32) -> vec4<f32> {
  let fw = textureDimensions(dy).x;
  return textureLoad(dy, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_dx_old(n: u32) -> vec4<f32> {
  let fw = textureDimensions(dx_old).x;
  return textureLoad(dx_old, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let r = (wg.y * groups.x + wg.x) * 64u + li;
  if (r >= p.rows) {
    return;
  }
  let dim4 = p.dim / 4u;
  let base = r * dim4;
  let s = inv[r];
  var proj = 0.0;
  for (var j = 0u; j < dim4; j++) {
    let a = load_dy(base + j) * load_w(j);
    let b = load_x(base + j);
    proj += a.x * b.x;
    proj += a.y * b.y;
    proj += a.z * b.z;
    proj += a.w * b.w;
  }
  let c = s * s * s * proj / f32(p.dim);
  for (var j = 0u; j < dim4; j++) {
    let g = s * load_w(j) * load_dy(base + j) - c * load_x(base + j);
    if (ACCUMULATE) {
      dx[base + j] = load_dx_old(base + j) + g;
    } else {
      dx[base + j] = g;
    }
  }
}
