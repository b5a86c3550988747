// RMSNorm backward with respect to the input, one row per invocation. With s = inv[r]:
//   dx[r, k] = s·w[k]·dy[r, k] − (s³ / dim)·x[r, k]·Σ_j dy[r, j]·w[j]·x[r, j],
// stored into dx (ACCUMULATE false) or added to it (ACCUMULATE true: the residual stream's gradient).
// x, dy, dx: [rows, dim] row-major; w: [dim]; inv: [rows] from rmsnorm.wgsl. Linear index folded.

struct Params {
  rows: u32,
  dim: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> inv: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

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
  let base = r * p.dim;
  let s = inv[r];
  var proj = 0.0;
  for (var j = 0u; j < p.dim; j++) {
    proj += dy[base + j] * w[j] * x[base + j];
  }
  let c = s * s * s * proj / f32(p.dim);
  for (var j = 0u; j < p.dim; j++) {
    let g = s * w[j] * dy[base + j] - c * x[base + j];
    if (ACCUMULATE) {
      dx[base + j] += g;
    } else {
      dx[base + j] = g;
    }
  }
}
