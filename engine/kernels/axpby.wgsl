// y[i] = α·x[i] + β·y[i]; when β = 0, y is only written (NaN in y does not propagate).
// One element per invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  count: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

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
  var r = p.alpha * x[i];
  if (p.beta != 0.0) {
    r += p.beta * y[i];
  }
  y[i] = r;
}
