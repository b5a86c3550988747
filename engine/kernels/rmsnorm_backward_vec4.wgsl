// RMSNorm backward with respect to the input (rmsnorm_backward.wgsl), one row per invocation, rows
// read and written as vec4. With s = inv[r]:
//   dx[r, k] = s·w[k]·dy[r, k] − (s³ / dim)·x[r, k]·Σ_j dy[r, j]·w[j]·x[r, j],
// stored into dx (ACCUMULATE false) or added to it (ACCUMULATE true).
// x, dy, dx: [rows, dim] row-major; w: [dim]; inv: [rows]. Used when dim is a multiple of 4 (rows start
// on vec4 boundaries; x, w, dy, dx bound as array<vec4<f32>>): on CPU rasterisers storage loads are
// scalarised per lane and loop iterations cost, so dim/4 vec4 iterations beat dim scalar ones.
// Bit-identical to the scalar kernel: the projection adds (dy·w)·x one element at a time in increasing
// j (x, y, z, w of each vec4 in turn, never per-component partial sums), and each dx is the same
// expression. Linear index folded.

struct Params {
  rows: u32,
  dim: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> inv: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dx: array<vec4<f32>>;

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
    let a = dy[base + j] * w[j];
    let b = x[base + j];
    proj += a.x * b.x;
    proj += a.y * b.y;
    proj += a.z * b.z;
    proj += a.w * b.w;
  }
  let c = s * s * s * proj / f32(p.dim);
  for (var j = 0u; j < dim4; j++) {
    let g = s * w[j] * dy[base + j] - c * x[base + j];
    if (ACCUMULATE) {
      dx[base + j] += g;
    } else {
      dx[base + j] = g;
    }
  }
}
