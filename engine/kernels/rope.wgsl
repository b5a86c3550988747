// Rotary position embeddings in place, HF rotate_half convention: in each head, element i pairs with
// i + half (half = hd / 2), both rotated by the angle of position pos and frequency i:
//   x[i] ← x[i]·cos − x[i + half]·sin·DIR,   x[i + half] ← x[i + half]·cos + x[i]·sin·DIR,
// DIR = 1 forward, −1 backward (the inverse rotation, which is the transposed Jacobian).
// x: rows of `stride` elements; `heads` heads of width hd start at column `offset`; row r has
// position pos0 + r mod tq. table: [positions, hd], cos of (p, i) at p·hd + i and sin at
// p·hd + half + i. One (row, head, i) per invocation, linear index folded. Constant: DIR.

struct Params {
  count: u32, // rows · heads · half
  heads: u32,
  half: u32,
  stride: u32,
  offset: u32,
  tq: u32,
  pos0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

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
  let i = n % p.half;
  let h = (n / p.half) % p.heads;
  let r = n / (p.half * p.heads);
  let pos = p.pos0 + r % p.tq;
  let c = table[pos * 2u * p.half + i];
  let s = table[pos * 2u * p.half + p.half + i] * DIR;
  let base = r * p.stride + p.offset + h * 2u * p.half + i;
  let x1 = x[base];
  let x2 = x[base + p.half];
  x[base] = x1 * c - x2 * s;
  x[base + p.half] = x2 * c + x1 * s;
}
