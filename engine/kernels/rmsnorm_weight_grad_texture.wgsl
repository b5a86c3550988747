// RMSNorm gain gradient, partial column sums: rmsnorm_weight_grad.wgsl reading x, inv and dy from flat
// texture copies (flat_texture.ts) instead of the storage buffers, for CPU rasterisers, where a
// storage-texture load costs a fraction of a scalarised storage-buffer load. Same partials, same f32
// operations in the same order (bit-identical results):
//   partial[q, j] = Σ_{r in chunk q, increasing} dy[r, j] · x[r, j] · inv[r].
// x, dy: [rows, dim] row-major (rows·dim a multiple of 4); inv: [rows]; partial: [parts, dim].
// Linear index folded.

struct Params {
  rows: u32,
  dim: u32,
  chunk: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var x: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var inv: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var dy: texture_storage_2d_array<rgba32float, read>;

// Element i of a flat texture copy (flat_texture.ts).
fn load_x(i: u32) -> f32 {
  let n = i / 4u;
  let fw = textureDimensions(x).x;
  return textureLoad(x, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0)[i % 4u];
}

fn load_inv(i: u32) -> f32 {
  let n = i / 4u;
  let fw = textureDimensions(inv).x;
  return textureLoad(inv, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0)[i % 4u];
}

fn load_dy(i: u32) -> f32 {
  let n = i / 4u;
  let fw = textureDimensions(dy).x;
  return textureLoad(dy, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0)[i % 4u];
}
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.parts * p.dim) {
    return;
  }
  let j = n % p.dim;
  let q = n / p.dim;
  let end = min(p.rows, (q + 1u) * p.chunk);
  var acc = 0.0;
  for (var r = q * p.chunk; r < end; r++) {
    let i = r * p.dim + j;
    acc += load_dy(i) * load_x(i) * load_inv(r);
  }
  partial[n] = acc;
}
