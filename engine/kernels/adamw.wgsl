// One AdamW step (decoupled weight decay, bias correction) on one parameter tensor, PyTorch order:
//   g = grad[i] · clip                      clip = stats[1], the global-norm clip factor (grad_clip.wgsl)
//   m = β1·m + (1 − β1)·g                   m, v: the optimizer's packed moments, element OFFSET + i
//   v = β2·v + (1 − β2)·g²
//   p = p · decay − stepSize · m / (√v · vScale + ε)
// with decay = 1 − lr·weightDecay (1 for tensors without decay), stepSize = lr / (1 − β1ᵗ) and
// vScale = 1 / √(1 − β2ᵗ), all computed on the host in f64 and passed as f32. One element per
// invocation, linear index folded over (x, y) workgroups (see grid.ts). f32 throughout.

struct Params {
  count: u32,
  offset: u32,
  beta1: f32,
  beta2: f32,
  decay: f32,
  step_size: f32,
  v_scale: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> param: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.y * groups.x + wg.x) * 64u + li;
  if (i >= p.count) {
    return;
  }
  let j = p.offset + i;
  let g = grad[i] * stats[1];
  let mi = p.beta1 * m[j] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[j] + (1.0 - p.beta2) * (g * g);
  m[j] = mi;
  v[j] = vi;
  let denom = sqrt(vi) * p.v_scale + p.eps;
  param[i] = param[i] * p.decay - p.step_size * (mi / denom);
}
