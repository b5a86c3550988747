// Cross-entropy pass 1 of 3 (cross_entropy.ts): per row r of logits [rows, vocab] (row-major) and part
// q of the vocabulary (entries q·CHUNK … min(vocab, (q+1)·CHUNK) − 1), the part's maximum m and its
// Σ exp(logit − m), accumulated serially in increasing v:
//   stats[(r·parts + q)·2] = m,   stats[(r·parts + q)·2 + 1] = Σ_v exp(logits[r, v] − m).
// The host prepends `fn logit(i: u32) -> f32` (element i of the flat logits, from the buffer or its
// flat texture copy) with its binding 1. Each invocation loops 2·CHUNK times at most (CPU rasterisers
// cap an invocation's loop iterations at 65535). One (row, part) per invocation, linear index folded.
// Constant: CHUNK.

struct Params {
  rows: u32,
  vocab: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

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
  let r = t / p.parts;
  let first = (t % p.parts) * CHUNK;
  let end = min(p.vocab, first + CHUNK);
  let base = r * p.vocab;
  var m = logit(base + first);
  for (var v = first + 1u; v < end; v++) {
    m = max(m, logit(base + v));
  }
  var sum = 0.0;
  for (var v = first; v < end; v++) {
    sum += exp(logit(base + v) - m);
  }
  stats[2u * t] = m;
  stats[2u * t + 1u] = sum;
}
