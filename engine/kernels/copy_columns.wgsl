// Copies a column block out of row-major rows: out[r, c] = src[r·stride + offset + c] for c < cols.
// out: [rows, cols]. One element per invocation, linear index folded.

struct Params {
  count: u32, // rows · cols
  cols: u32,
  stride: u32,
  offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

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
  let r = n / p.cols;
  out[n] = src[r * p.stride + p.offset + n - r * p.cols];
}
