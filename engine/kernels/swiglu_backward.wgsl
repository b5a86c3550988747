// SwiGLU backward: with g = gu[r, i], u = gu[r, inter + i], σ = σ(g) and d = dact[r, i]:
//   dgu[r, i] = d · u · σ · (1 + g·(1 − σ)),   dgu[r, inter + i] = d · g · σ.
// gu, dgu: [rows, 2·inter] row-major; dact: [rows, inter]. One (r, i) per invocation, linear index
// folded.

struct Params {
  count: u32, // rows · inter
  inter: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gu: array<f32>;
@group(0) @binding(2) var<storage, read> dact: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgu: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.count) {
    return;
  }
  let r = n / p.inter;
  let i = n - r * p.inter;
  let at = r * 2u * p.inter + i;
  let g = gu[at];
  let u = gu[at + p.inter];
  let d = dact[n];
  let s = 1.0 / (1.0 + exp(-g));
  dgu[at] = d * u * s * (1.0 + g * (1.0 - s));
  dgu[at + p.inter] = d * g * s;
}
