// Greedy decoding's token choice: ids[r] = the first index of the largest of logits[offset + r·stride
// + v], v < vocab (NaN entries are never chosen unless every entry is NaN, which gives 0). ids: [rows]
// i32. One row per invocation, linear index folded.

struct Params {
  rows: u32,
  vocab: u32,
  stride: u32,
  offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<i32>;

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
  let base = p.offset + r * p.stride;
  var best = 0u;
  var best_value = logits[base];
  for (var v = 1u; v < p.vocab; v++) {
    let x = logits[base + v];
    if (x > best_value || (best_value != best_value && x == x)) {
      best = v;
      best_value = x;
    }
  }
  ids[r] = i32(best);
}
