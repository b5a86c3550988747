// Cross-entropy pass 3 of 3 (cross_entropy.ts), the logit gradient, one element i = r·vocab + v per
// invocation (linear index folded):
//   dlogits[i] = weights[r] · (exp(logits[i] − lse[r]) − [v = label]),
//   0 without a target (label < 0 or ≥ vocab) or weight.
// The host prepends `fn logit(i: u32) -> f32` (element i of the flat logits, from the buffer or its
// flat texture copy) with its binding 1.

struct Params {
  rows: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.y * groups.x + wg.x) * 64u + li;
  if (i >= p.rows * p.vocab) {
    return;
  }
  let r = i / p.vocab;
  let label = labels[r];
  let w = weights[r];
  let live = label >= 0 && u32(label) < p.vocab && w != 0.0;
  let hit = select(0.0, 1.0, i32(i % p.vocab) == label);
  dlogits[i] = select(0.0, w * (exp(logit(i) - lse[r]) - hit), live);
}
