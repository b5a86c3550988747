// Accumulated squares over a batch: acc[i] += Σ_{z < batch} x[offset + z·size + i]² for i < size
// (f32). The batch is summed serially in increasing z into a register, then added to acc once, so the
// result does not depend on the adapter (no atomics, fixed order).
// One output element per invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  size: u32,
  batch: u32,
  offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.y * groups.x + wg.x) * 64u + li;
  if (i >= p.size) {
    return;
  }
  var sum = 0.0;
  for (var z = 0u; z < p.batch; z++) {
    let v = x[p.offset + z * p.size + i];
    sum += v * v;
  }
  acc[i] = acc[i] + sum;
}
