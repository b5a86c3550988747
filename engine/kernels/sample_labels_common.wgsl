// Shared by the three passes of label sampling (sample_labels.ts; the spec and its CPU reference:
// sample_labels_spec.ts, engine/cpu/sample_labels.ts), which the host prepends to each pass with
// EXP2_TABLE (array<u32, 65>, Q15 values of 2^(−i/64)) and the logit(i) accessor:
//   q_v = trunc(clamp(logits[r, v], ±32767) · 2¹⁶),  w_v = weight(max_v q_v − q_v) >> shift.

struct Params {
  rows: u32,
  vocab: u32,
  parts: u32,
  shift: u32,
  seed_lo: u32,
  seed_hi: u32,
  draw: u32,
  row_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> mask: array<i32>;

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

fn quantize(logit: f32) -> i32 {
  return i32(clamp(logit, -32767.0, 32767.0) * 65536.0);
}

// The token weight at distance d = max − q (Q16 nats), before the shift.
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

// Whether row r is masked out (MASKED: mask[r] < 0).
fn masked(r: u32) -> bool {
  return MASKED && mask[r] < 0;
}

// The row's maximum quantised logit, from the parts' maxima (pass 1).
fn row_max(r: u32) -> i32 {
  var top = part_max[r * p.parts];
  for (var q = 1u; q < p.parts; q++) {
    top = max(top, part_max[r * p.parts + q]);
  }
  return top;
}
