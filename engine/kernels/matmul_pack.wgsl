// Copies a rectangle of a stored GEMM operand into an rgba32float texture array for the software
// GEMM family, where a plain buffer-to-texture copy cannot (unaligned rows, K not a multiple of 8).
// The rectangle P is `rows × cols` with P[r, c] = src[base + layer·stride + r·ld + c];
// texel (x, y, layer) = P[y, 4x .. 4x+3], zero outside P, so padding reads as zeros.

struct Params {
  rows: u32,
  cols: u32,
  ld: u32,
  base: u32,
  stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var dst: texture_storage_2d_array<rgba32float, write>;

fn element(r: u32, c: u32, layer: u32) -> f32 {
  if (r >= p.rows || c >= p.cols) {
    return 0.0;
  }
  return src[p.base + layer * p.stride + r * p.ld + c];
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let size = textureDimensions(dst);
  if (id.x >= size.x || id.y >= size.y) {
    return;
  }
  let c = id.x * 4u;
  let texel = vec4<f32>(
    element(id.y, c, id.z),
    element(id.y, c + 1u, id.z),
    element(id.y, c + 2u, id.z),
    element(id.y, c + 3u, id.z),
  );
  textureStore(dst, vec2<u32>(id.x, id.y), id.z, texel);
}
