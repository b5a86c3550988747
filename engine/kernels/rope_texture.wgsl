// Rotary position embeddings, rope_vec4.wgsl reading x and the table from flat texture copies
// (flat_texture.ts; x_in is x as of just before this dispatch) and writing the rotated pairs to x, for
// CPU rasterisers, where a storage-texture load costs a fraction of a scalarised storage-buffer load.
// In each head, x[i..i+3] pairs with x[i + half..i + half + 3] (half = hd / 2, i = 4·k), componentwise
//   x[i] ← x[i]·cos − x[i + half]·sin·DIR,   x[i + half] ← x[i + half]·cos + x[i]·sin·DIR,
// DIR = 1 forward, −1 backward, the same f32 operations as rope.wgsl (bit-identical results). Layout,
// alignment and indexing as in rope_vec4.wgsl (sizes in vec4 units; one (row, head, k) per invocation,
// linear index folded). Constant: DIR.

struct Params {
  count4: u32, // rows · heads · half / 4
  heads: u32,
  half4: u32,
  stride4: u32,
  offset4: u32,
  tq: u32,
  pos0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var table: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var x_in: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> x: array<vec4<f32>>;

fn load_table(n: u32) -> vec4<f32> {
  let fw = textureDimensions(table).x;
  return textureLoad(table, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_x(n: u32) -> vec4<f32> {
  let fw = textureDimensions(x_in).x;
  return textureLoad(x_in, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

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
  let i = n % p.half4;
  let h = (n / p.half4) % p.heads;
  let r = n / (p.half4 * p.heads);
  let pos = p.pos0 + r % p.tq;
  let c = load_table(pos * 2u * p.half4 + i);
  let s = load_table(pos * 2u * p.half4 + p.half4 + i) * DIR;
  let base = r * p.stride4 + p.offset4 + h * 2u * p.half4 + i;
  let x1 = load_x(base);
  let x2 = load_x(base + p.half4);
  x[base] = x1 * c - x2 * s;
  x[base + p.half4] = x2 * c + x1 * s;
}
