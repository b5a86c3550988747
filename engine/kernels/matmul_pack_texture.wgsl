// matmul_pack.wgsl reading the operand from a flat texture copy (flat_texture.ts) instead of the
// storage buffer, for CPU rasterisers, where a storage-texture load costs a fraction of the
// scalarised storage-buffer loads. Copies a rectangle of a stored GEMM operand into an rgba32float
// texture array for the software GEMM family where a plain buffer-to-texture copy cannot (rows not
// 256-byte aligned, K not a multiple of 8). The rectangle P is `rows × cols` with
// P[r, c] = src[layer·stride + r·ld + c] (src: the flat copy of the operand from the rectangle's first
// element, which is 16-byte aligned, as are ld and stride: all are multiples of 4 floats);
// texel (x, y, layer) = P[y, 4x .. 4x+3], zero outside P, so padding reads as zeros. Texels are copied
// as loaded (bit-identical to matmul_pack.wgsl).

struct Params {
  rows: u32,
  cols: u32,
  ld4: u32, // ld / 4
  stride4: u32, // stride / 4
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var src: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var dst: texture_storage_2d_array<rgba32float, write>;

// vec4 number n of the flat texture copy (flat_texture.ts).
fn load_src(n: u32) -> vec4<f32> {
  let fw = textureDimensions(src).x;
  return textureLoad(src, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let size = textureDimensions(dst);
  if (id.x >= size.x || id.y >= size.y) {
    return;
  }
  let c = id.x * 4u;
  var texel = vec4(0.0);
  if (id.y < p.rows && c < p.cols) {
    texel = select(vec4(0.0), load_src(id.z * p.stride4 + id.y * p.ld4 + id.x),
                   vec4(c) + vec4(0u, 1u, 2u, 3u) < vec4(p.cols));
  }
  textureStore(dst, vec2<u32>(id.x, id.y), id.z, texel);
}
