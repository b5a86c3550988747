// RMSNorm forward (rmsnorm.wgsl), one row per invocation, rows read and written as vec4:
//   inv[r] = 1 / sqrt(mean_j x[r, j]² + eps),   y[r, j] = x[r, j] · inv[r] · w[j].
// x, y: [rows, dim] row-major; w: [dim]; inv: [rows]. Used when dim is a multiple of 4, so every row
// starts on a vec4 boundary and x, w, y are bound as array<vec4<f32>> (tensor buffers are rounded up
// to 16 bytes). On CPU rasterisers storage loads are scalarised per lane (one invocation per lane) and
// loop iterations cost, so dim/4 vec4 iterations beat dim scalar ones. Bit-identical to the scalar
// kernel: the sum of squares is still accumulated one element at a time in increasing j (x, y, z, w
// of each vec4 in turn, never per-component partial sums), and each y is the same x·s·w. Linear index
// folded over (x, y) workgroups (grid.ts).

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> inv: array<f32>;

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
    let v = x[base + j];
    sum += v.x * v.x;
    sum += v.y * v.y;
    sum += v.z * v.z;
    sum += v.w * v.w;
  }
  let s = 1.0 / sqrt(sum / f32(p.dim) + p.eps);
  inv[r] = s;
  for (var j = 0u; j < dim4; j++) {
    y[base + j] = x[base + j] * s * w[j];
  }
}
