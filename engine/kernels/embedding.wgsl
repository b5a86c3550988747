// Token embedding lookup: out[r, j] = table[ids[r], j]; rows whose id is outside [0, vocab) get
// zeros. ids: [rows] i32; table: [vocab, dim] row-major; out: [rows, dim]. One element per
// invocation, linear index folded (grid.ts).

struct Params {
  count: u32, // rows · dim
  dim: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.count) {
    return;
  }
  let r = n / p.dim;
  let id = ids[r];
  var v = 0.0;
  if (id >= 0 && u32(id) < p.vocab) {
    v = table[u32(id) * p.dim + n - r * p.dim];
  }
  out[n] = v;
}
