// Label sampling pass 2 of 3 (sample_labels.ts): per row r and part q, the part's total weight
// part_total[r·parts + q] = Σ_v w_v over its entries, against the row maximum from pass 1 (masked
// rows: skipped). One (row, part) per invocation, linear index folded. Constants: CHUNK, MASKED.

@group(0) @binding(3) var<storage, read> part_max: array<i32>;
@group(0) @binding(4) var<storage, read_write> part_total: array<u32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  let r = t / p.parts;
  if (t >= p.rows * p.parts || masked(r)) {
    return;
  }
  let top = row_max(r);
  let first = (t % p.parts) * CHUNK;
  let end = min(p.vocab, first + CHUNK);
  let base = r * p.vocab;
  var total = 0u;
  for (var v = first; v < end; v++) {
    total += weight(u32(top - quantize(logit(base + v)))) >> p.shift;
  }
  part_total[t] = total;
}
