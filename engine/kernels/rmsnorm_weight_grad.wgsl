// Partial column sums for the RMSNorm weight gradient dw[j] = Σ_r dy[r, j]·x[r, j]·inv[r]:
//   partial[q, j] = Σ_{r = q·chunk}^{min(rows, (q+1)·chunk) − 1} dy[r, j]·x[r, j]·inv[r],
// accumulated serially in increasing r (deterministic); the host sums the `parts` partials per column
// with reduce.wgsl. x, dy: [rows, dim] row-major; inv: [rows]; partial: [parts, dim]. One (q, j) per
// invocation, linear index folded.

struct Params {
  rows: u32,
  dim: u32,
  chunk: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> inv: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
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
    acc += dy[i] * x[i] * inv[r];
  }
  partial[n] = acc;
}
