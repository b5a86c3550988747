// RMSNorm forward, rmsnorm_vec4.wgsl reading x and w from flat texture copies (flat_texture.ts) instead
// of the storage buffers, for CPU rasterisers, where a storage-texture load costs a fraction of a
// scalarised storage-buffer load. One row per invocation:
//   inv[r] = 1 / sqrt(mean_j x[r, j]² + eps),   y[r, j] = x[r, j] · inv[r] · w[j],
// the sum of squares accumulated one element at a time in increasing j and each y the same x·s·w as
// in rmsnorm.wgsl (bit-identical results). x, y: [rows, dim] row-major (dim a multiple of 4); w: [dim];
// inv: [rows]. Linear index folded over (x, y) workgroups (grid.ts).

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var x: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var w: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> inv: array<f32>;

fn load_x(n: u32) -> vec4<f32> {
  let fw = textureDimensions(x).x;
  return textureLoad(x, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_w(n: u32) -> vec4<f32> {
  let fw = textureDimensions(w).x;
  return textureLoad(w, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
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
  var sum = 0.0;
  for (var j = 0u; j < dim4; j++) {
    let v = load_x(base + j);
    sum += v.x * v.x;
    sum += v.y * v.y;
    sum += v.z * v.z;
    sum += v.w * v.w;
  }
  let s = 1.0 / sqrt(sum / f32(p.dim) + p.eps);
  inv[r] = s;
  for (var j = 0u; j < dim4; j++) {
    y[base + j] = load_x(base + j) * s * load_w(j);
  }
}
