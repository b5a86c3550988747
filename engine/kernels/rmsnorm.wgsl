// RMSNorm forward (HF LlamaRMSNorm), one row per invocation:
//   inv[r] = 1 / sqrt(mean_j x[r, j]² + eps),   y[r, j] = x[r, j] · inv[r] · w[j].
// x, y: [rows, dim] row-major; w: [dim]; inv: [rows] (kept for the backward pass). Linear index
// folded over (x, y) workgroups (grid.ts).

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
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
  let base = r * p.dim;
  var sum = 0.0;
  for (var j = 0u; j < p.dim; j++) {
    let v = x[base + j];
    sum += v * v;
  }
  let s = 1.0 / sqrt(sum / f32(p.dim) + p.eps);
  inv[r] = s;
  for (var j = 0u; j < p.dim; j++) {
    y[base + j] = x[base + j] * s * w[j];
  }
}
