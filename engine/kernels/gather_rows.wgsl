// Row gather: out[i, j] = src[index[i]·width + j] for i < rows, j < width (f32, row-major).
// One element per invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  count: u32, // rows · width
  width: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

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
  let i = n / p.width;
  out[n] = src[index[i] * p.width + n - i * p.width];
}
