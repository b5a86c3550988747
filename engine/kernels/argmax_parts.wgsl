// Greedy decoding's token choice, pass 1 of 2 (argmax.ts): per scanned row r and part q of the
// vocabulary (entries q·CHUNK … min(vocab, (q+1)·CHUNK) − 1) of logits[offset + r·stride + v], the
// first index of the part's largest entry and its value (NaN entries are never chosen unless every
// entry of the part is NaN, which gives the part's first index):
//   best[r·parts + q], best_value[r·parts + q].
// One (row, part) per invocation, linear index folded. Constant: CHUNK.

struct Params {
  rows: u32,
  vocab: u32,
  stride: u32,
  offset: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> best: array<u32>;
@group(0) @binding(3) var<storage, read_write> best_value: array<f32>;

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
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  if (t >= p.rows * p.parts) {
    return;
  }
  let first = (t % p.parts) * CHUNK;
  let end = min(p.vocab, first + CHUNK);
  let base = p.offset + (t / p.parts) * p.stride;
  var index = first;
  var value = logits[base + first];
  for (var v = first + 1u; v < end; v++) {
    let x = logits[base + v];
    if (x > value || (is_nan(value) && !is_nan(x))) {
      index = v;
      value = x;
    }
  }
  best[t] = index;
  best_value[t] = value;
}
