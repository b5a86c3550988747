// Column-block copy (copy_columns.wgsl), four consecutive columns per invocation:
//   out[r, c..c+3] = src[r·stride + offset + c .. +3] for c = 4·k < cols.
// Used when cols, stride and offset are multiples of 4, so every row of out and every copied block of
// src starts on a vec4 boundary and both buffers are read and written as array<vec4<f32>> (tensor
// buffers are rounded up to 16 bytes). On CPU rasterisers each invocation is a SIMD lane and storage
// loads are scalarised per lane, so one vec4 load/store moves four elements for the instruction cost
// of one (about 1.5–2× faster than copy_columns.wgsl on llvmpipe); a loop over more elements per
// invocation is not faster. Exact copies: bit-identical to the scalar kernel. All sizes below are in
// vec4 units; linear index folded.

struct Params {
  count4: u32, // rows · cols / 4
  cols4: u32,
  stride4: u32,
  offset4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.count4) {
    return;
  }
  let r = n / p.cols4;
  out[n] = src[r * p.stride4 + p.offset4 + n - r * p.cols4];
}
