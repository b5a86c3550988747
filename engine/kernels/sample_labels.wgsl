// Label sampling pass 3 of 3 (sample_labels.ts): one label per row from the parts' maxima and totals:
//   total = Σ_q part_total[r·parts + q],
//   u = Philox-4x32-10(counter (row_offset + r, draw, 0, 0), key (seed_lo, seed_hi)).x,
//   label = first v with Σ_{v' ≤ v} w_v' > ⌊u · total / 2³²⌋
// (found in the first part whose running total exceeds it, then within that part), −1 for masked
// rows. labels: [rows] i32. One row per invocation, linear index folded. Constants: CHUNK, MASKED.

@group(0) @binding(3) var<storage, read> part_max: array<i32>;
@group(0) @binding(4) var<storage, read> part_total: array<u32>;
@group(0) @binding(5) var<storage, read_write> labels: array<i32>;

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var i = 0u; i < 10u; i++) {
    if (i > 0u) {
      k += vec2(0x9e3779b9u, 0xbb67ae85u);
    }
    let p0 = mul_hi_lo(0xd2511f53u, c.x);
    let p1 = mul_hi_lo(0xcd9e8d57u, c.z);
    c = vec4(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
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
  if (masked(r)) {
    labels[r] = -1;
    return;
  }
  let parts = r * p.parts;
  var total = 0u;
  for (var q = 0u; q < p.parts; q++) {
    total += part_total[parts + q];
  }
  let u = philox(vec4(p.row_offset + r, p.draw, 0u, 0u), vec2(p.seed_lo, p.seed_hi)).x;
  let target_weight = mul_hi_lo(u, total).x;
  var cumulative = 0u;
  var q = 0u;
  for (; q + 1u < p.parts; q++) {
    if (cumulative + part_total[parts + q] > target_weight) {
      break;
    }
    cumulative += part_total[parts + q];
  }
  let top = row_max(r);
  let first = q * CHUNK;
  let end = min(p.vocab, first + CHUNK);
  let base = r * p.vocab;
  var label = p.vocab - 1u;
  for (var v = first; v < end; v++) {
    cumulative += weight(u32(top - quantize(logit(base + v)))) >> p.shift;
    if (cumulative > target_weight) {
      label = v;
      break;
    }
  }
  labels[r] = i32(label);
}
