// Copies rows of a row-major f32 buffer into an rgba32float 2-D array texture: source row
// b·tq + t (b < layers, t < tq) goes to texture row y0 + t of layer b, texel x holding elements
// 4x .. 4x+3 of the row (zero past `cols`). Used where copyBufferToTexture cannot be (rows not
// 256-byte aligned, appending at y0 > 0). One texel per invocation; workgroups
// (⌈texels / 8⌉, ⌈tq / 8⌉, layers).

struct Params {
  tq: u32,
  y0: u32,
  stride: u32, // source row stride in elements
  cols: u32, // elements per row to copy
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var dst: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let x = id.x;
  let t = id.y;
  if (x * 4u >= p.cols || t >= p.tq) {
    return;
  }
  let base = (id.z * p.tq + t) * p.stride + x * 4u;
  var texel = vec4<f32>();
  for (var e = 0u; e < 4u; e++) {
    if (x * 4u + e < p.cols) {
      texel[e] = src[base + e];
    }
  }
  textureStore(dst, vec2(x, p.y0 + t), id.z, texel);
}
