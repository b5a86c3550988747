// Weighted softmax cross-entropy, cross_entropy.wgsl reading the logits from a flat texture copy
// (flat_texture.ts) instead of the storage buffer, for CPU rasterisers, where a storage-texture load
// costs a fraction of a scalarised storage-buffer load. Per row r of logits [rows, vocab] (rows·vocab a
// multiple of 4), with integer labels (label < 0 or ≥ vocab: no target) and f32 weights:
//   lse = log Σ_v exp(logits[r, v]),   log_probs[r] = logits[r, label] − lse (0 without a target),
//   row_loss[r] = −weights[r] · log_probs[r] (0 without a target),
//   GRAD: dlogits[r, v] = weights[r] · (softmax_v − [v = label]), 0 without a target or weight,
// with the same f32 operations in the same order as cross_entropy.wgsl (bit-identical results). One
// row per invocation, linear index folded. Constant: GRAD.

struct Params {
  rows: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var logits_t: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> log_probs: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;

// Element i of the flat texture copy of the logits (flat_texture.ts).
fn logits(i: u32) -> f32 {
  let n = i / 4u;
  let r = n / 256u;
  let h = textureDimensions(logits_t).y;
  return textureLoad(logits_t, vec2(n % 256u, r % h), r / h)[i % 4u];
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
  let base = r * p.vocab;
  var m = logits(base);
  for (var v = 1u; v < p.vocab; v++) {
    m = max(m, logits(base + v));
  }
  var sum = 0.0;
  for (var v = 0u; v < p.vocab; v++) {
    sum += exp(logits(base + v) - m);
  }
  let lse = m + log(sum);
  let label = labels[r];
  let valid = label >= 0 && u32(label) < p.vocab;
  let w = weights[r];
  var log_prob = 0.0;
  if (valid) {
    log_prob = logits(base + u32(label)) - lse;
  }
  log_probs[r] = log_prob;
  row_loss[r] = select(0.0, -w * log_prob, valid);
  if (GRAD) {
    let live = valid && w != 0.0;
    for (var v = 0u; v < p.vocab; v++) {
      let hit = select(0.0, 1.0, i32(v) == label);
      dlogits[base + v] = select(0.0, w * (exp(logits(base + v) - lse) - hit), live);
    }
  }
}
