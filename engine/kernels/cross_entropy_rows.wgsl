// Cross-entropy pass 2 of 3 (cross_entropy.ts): per row r, the log-sum-exp of its logits from the
// parts' (m_q, s_q) of cross_entropy_parts.wgsl, combined serially in increasing q:
//   M = max_q m_q,   lse = M + log Σ_q s_q · exp(m_q − M)   (a part with m_q = M adds s_q itself, so
//   one part gives m + log s: the bits of a serial pass over the whole row);
//   log_probs[r] = logits[r, label] − lse (0 without a target: label < 0 or ≥ vocab),
//   row_loss[r] = −weights[r] · log_probs[r] (0 without a target),   lse_out[r] = lse.
// One row per invocation, linear index folded.

struct Params {
  rows: u32,
  vocab: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> log_probs: array<f32>;
@group(0) @binding(7) var<storage, read_write> lse_out: array<f32>;

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
  var m = stats[2u * first];
  for (var q = 1u; q < p.parts; q++) {
    m = max(m, stats[2u * (first + q)]);
  }
  var sum = 0.0;
  for (var q = 0u; q < p.parts; q++) {
    let mq = stats[2u * (first + q)];
    let sq = stats[2u * (first + q) + 1u];
    sum += select(sq * exp(mq - m), sq, mq == m);
  }
  let lse = m + log(sum);
  let label = labels[r];
  let valid = label >= 0 && u32(label) < p.vocab;
  var log_prob = 0.0;
  if (valid) {
    log_prob = logits[r * p.vocab + u32(label)] - lse;
  }
  log_probs[r] = log_prob;
  row_loss[r] = select(0.0, -weights[r] * log_prob, valid);
  lse_out[r] = lse;
}
