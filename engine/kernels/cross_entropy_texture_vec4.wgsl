// Cross-entropy in one pass for a vocabulary of one part (cross_entropy.ts: vocab ≤ CHUNK) that is a
// multiple of 4, on CPU rasterisers: each row is whole texels of the flat texture copy of the logits
// (flat_texture.ts), so every texel load serves four logits (not one), and dlogits is written as vec4
// (each storage access is scalarised per lane, so one vec4 store instead of four f32 ones). Per row r
// of logits [rows, vocab], with integer labels (label < 0 or ≥ vocab: no target) and f32 weights:
//   m = max_v logits[r, v],   s = Σ_v exp(logits[r, v] − m),   lse = m + log s,
//   log_probs[r] = logits[r, label] − lse (0 without a target),
//   row_loss[r] = −weights[r] · log_probs[r] (0 without a target),
//   GRAD: dlogits[r, v] = weights[r] · (exp(logits[r, v] − lse) − [v = label]), 0 without a target
//   or weight,
// with the f32 operations of the three passes for one part (cross_entropy_parts.wgsl: the maximum and
// the sum take the logits one at a time in increasing v; cross_entropy_rows.wgsl: lse = m + log s for
// one part; cross_entropy_grad.wgsl), so the results are bit-identical to them. Each invocation loops
// 3·vocab/4 ≤ 3·CHUNK/4 times (CPU rasterisers cap an invocation at 65535 loop iterations). One row per
// invocation, linear index folded. Constant: GRAD.

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
@group(0) @binding(6) var<storage, read_write> dlogits: array<vec4<f32>>;

// vec4 number n of the flat texture copy of the logits (flat_texture.ts).
fn logits4(n: u32) -> vec4<f32> {
  let fw = textureDimensions(logits_t).x;
  return textureLoad(logits_t, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn max4(m: f32, t: vec4<f32>) -> f32 {
  return max(max(max(max(m, t.x), t.y), t.z), t.w);
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
  let texels = p.vocab / 4u;
  let base = r * texels;
  let t0 = logits4(base);
  var m = max(max(max(t0.x, t0.y), t0.z), t0.w);
  for (var n = 1u; n < texels; n++) {
    m = max4(m, logits4(base + n));
  }
  var sum = 0.0;
  for (var n = 0u; n < texels; n++) {
    let e = exp(logits4(base + n) - m);
    sum += e.x;
    sum += e.y;
    sum += e.z;
    sum += e.w;
  }
  let lse = m + log(sum);
  let label = labels[r];
  let valid = label >= 0 && u32(label) < p.vocab;
  let w = weights[r];
  var log_prob = 0.0;
  if (valid) {
    log_prob = logits4(base + u32(label) / 4u)[u32(label) % 4u] - lse;
  }
  log_probs[r] = log_prob;
  row_loss[r] = select(0.0, -w * log_prob, valid);
  if (GRAD) {
    let live = valid && w != 0.0;
    for (var n = 0u; n < texels; n++) {
      let hit = select(vec4(0.0), vec4(1.0), vec4(i32(4u * n)) + vec4(0, 1, 2, 3) == vec4(label));
      dlogits[base + n] = select(vec4(0.0), w * (exp(logits4(base + n) - lse) - hit), live);
    }
  }
}
