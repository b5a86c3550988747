// Transposes a packed GEMM operand between the two texture layouts of the software family:
// src texel (x, y) holds stored row y, elements 4x .. 4x+3; dst texel (y4, x·4 + t) holds elements
// 4x+t of stored rows 4y4 .. 4y4+3. Each invocation moves one 4×4 block (4 texel loads, 4 stores).
// Brings a stored A (rows m, texels along k) or a stored Bᵀ (rows n, texels along k) into the GEMM
// kernel's K-major layout; reading them as stored would touch one page per output row or column at
// every K step.

struct Params {
  blocks_x: u32, // src texels per row to move
  blocks_y: u32, // src rows / 4 to move
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var src: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var dst: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  // Block (x, y): src texels (x, 4y .. 4y+3) → dst texels (y, 4x .. 4x+3).
  if (id.x >= p.blocks_x || id.y >= p.blocks_y) {
    return;
  }
  let row = id.y * 4u;
  let block = transpose(mat4x4<f32>(
    textureLoad(src, vec2(id.x, row), id.z),
    textureLoad(src, vec2(id.x, row + 1u), id.z),
    textureLoad(src, vec2(id.x, row + 2u), id.z),
    textureLoad(src, vec2(id.x, row + 3u), id.z),
  ));
  let k = id.x * 4u;
  textureStore(dst, vec2(id.y, k), id.z, block[0]);
  textureStore(dst, vec2(id.y, k + 1u), id.z, block[1]);
  textureStore(dst, vec2(id.y, k + 2u), id.z, block[2]);
  textureStore(dst, vec2(id.y, k + 3u), id.z, block[3]);
}
