// Greedy decoding's token choice, pass 2 of 2 (argmax.ts): ids[r] = the first index of the largest
// of logits[offset + r·stride + v], v < vocab (NaN entries are never chosen unless every entry is NaN,
// which gives 0), from the parts' choices of argmax_parts.wgsl taken in increasing part order with
// the same rule as a serial scan. ids: [rows] i32. One row per invocation, linear index folded.

struct Params {
  rows: u32,
  vocab: u32,
  stride: u32,
  offset: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> best: array<u32>;
@group(0) @binding(2) var<storage, read> best_value: array<f32>;
@group(0) @binding(3) var<storage, read_write> ids: array<i32>;

// NaN test on the bits (compilers may fold x != x to false under finite-math assumptions).
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

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
  let first = r * p.parts;
  var index = best[first];
  var value = best_value[first];
  for (var q = 1u; q < p.parts; q++) {
    let x = best_value[first + q];
    if (x > value || (is_nan(value) && !is_nan(x))) {
      index = best[first + q];
      value = x;
    }
  }
  ids[r] = i32(index);
}
