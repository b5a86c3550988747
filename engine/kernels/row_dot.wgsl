// Row-wise dot products with an offset, strided second operand, accumulated:
//   out[r] = Σ_{j < width} y[r·width + j] · g[offset_g + r·ldg + j]  (+ out[r] when ACC == 1)
// for r < rows (f32). Each row is summed serially in increasing j (fixed order, no atomics).
// One row per invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  rows: u32,
  width: u32,
  ldg: u32,
  offset_g: u32,
  offset_out: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

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
  var sum = 0.0;
  for (var j = 0u; j < p.width; j++) {
    sum += y[r * p.width + j] * g[p.offset_g + r * p.ldg + j];
  }
  if (p.accumulate != 0u) {
    sum = out[p.offset_out + r] + sum;
  }
  out[p.offset_out + r] = sum;
}
