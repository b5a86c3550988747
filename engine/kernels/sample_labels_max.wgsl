// Label sampling pass 1 of 3 (sample_labels.ts): per row r and part q of the vocabulary (entries
// q·CHUNK … min(vocab, (q+1)·CHUNK) − 1), part_max[r·parts + q] = max_v q_v (masked rows: skipped).
// One (row, part) per invocation, linear index folded. Constants: CHUNK, MASKED.

@group(0) @binding(3) var<storage, read_write> part_max: array<i32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  if (t >= p.rows * p.parts || masked(t / p.parts)) {
    return;
  }
  let first = (t % p.parts) * CHUNK;
  let end = min(p.vocab, first + CHUNK);
  let base = (t / p.parts) * p.vocab;
  var top = quantize(logit(base + first));
  for (var v = first + 1u; v < end; v++) {
    top = max(top, quantize(logit(base + v)));
  }
  part_max[t] = top;
}
