// out[i] = bits, for any 4-byte dtype (the host passes the value's bit pattern).
// One element per invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  count: u32,
  bits: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.y * groups.x + wg.x) * 64u + li;
  if (i < p.count) {
    out[i] = p.bits;
  }
}
