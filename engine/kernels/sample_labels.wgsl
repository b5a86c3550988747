// Draws one label per row from softmax(logits[r]) with exact integer arithmetic (the spec and its
// CPU reference: sample_labels_spec.ts, engine/cpu/sample_labels.ts):
//   q_v = trunc(clamp(logits[r, v], ±32767) · 2¹⁶),  w_v = weight(max_v q_v − q_v),  total = Σ w_v,
//   u = Philox-4x32-10(counter (row_offset + r, draw, 0, 0), key (seed_lo, seed_hi)).x,
//   label = first v with Σ_{v' ≤ v} w_v' > ⌊u · total / 2³²⌋.
// With MASKED, rows with mask[r] < 0 get −1. logits: [rows, vocab] row-major f32; mask, labels: [rows] i32.
// EXP2_TABLE (array<u32, 65>, Q15 values of 2^(−i/64)) is prepended by the host. One row per
// invocation, linear index folded. Constant: MASKED.

struct Params {
  rows: u32,
  vocab: u32,
  seed_lo: u32,
  seed_hi: u32,
  draw: u32,
  row_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<i32>;
@group(0) @binding(3) var<storage, read_write> labels: array<i32>;

const LOG2E_Q15 = 47274u;
const DISTANCE_LIMIT = 2097152u; // 2²¹

// High and low words of a·b, from 16-bit halves.
fn mul_hi_lo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let hi_lo = a_hi * b_lo;
  let lo_hi = a_lo * b_hi;
  let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + lo_hi;
  return vec2(a_hi * b_hi + (hi_lo >> 16u) + (cross >> 16u), a * b);
}

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

fn quantize(logit: f32) -> i32 {
  return i32(clamp(logit, -32767.0, 32767.0) * 65536.0);
}

fn weight(d: u32) -> u32 {
  if (d >= DISTANCE_LIMIT) {
    return 0u;
  }
  let y = (d >> 16u) * LOG2E_Q15 * 2u + (((d & 0xffffu) * LOG2E_Q15) >> 15u);
  let k = y >> 16u;
  let f = y & 0xffffu;
  let a = EXP2_TABLE[f >> 10u];
  let b = EXP2_TABLE[(f >> 10u) + 1u];
  let mantissa = a - (((a - b) * (f & 0x3ffu)) >> 10u);
  return select(mantissa >> min(k, 31u), 0u, k >= 16u);
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
  if (MASKED && mask[r] < 0) {
    labels[r] = -1;
    return;
  }
  let base = r * p.vocab;
  var top = quantize(logits[base]);
  for (var v = 1u; v < p.vocab; v++) {
    top = max(top, quantize(logits[base + v]));
  }
  var total = 0u;
  for (var v = 0u; v < p.vocab; v++) {
    total += weight(u32(top - quantize(logits[base + v])));
  }
  let u = philox(vec4(p.row_offset + r, p.draw, 0u, 0u), vec2(p.seed_lo, p.seed_hi)).x;
  let target_weight = mul_hi_lo(u, total).x;
  var cumulative = 0u;
  var label = p.vocab - 1u;
  for (var v = 0u; v < p.vocab; v++) {
    cumulative += weight(u32(top - quantize(logits[base + v])));
    if (cumulative > target_weight) {
      label = v;
      break;
    }
  }
  labels[r] = i32(label);
}
