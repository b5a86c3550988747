// Rotary position embeddings in place (rope.wgsl), four consecutive frequencies per invocation: in each
// head, x[i..i+3] pairs with x[i + half..i + half + 3] (half = hd / 2, i = 4·k), componentwise
//   x[i] ← x[i]·cos − x[i + half]·sin·DIR,   x[i + half] ← x[i + half]·cos + x[i]·sin·DIR,
// DIR = 1 forward, −1 backward. x: rows of `stride` elements; `heads` heads of width hd start at column
// `offset`; row r has position pos0 + r mod tq. table: [positions, hd], cos of (p, i) at p·hd + i and
// sin at p·hd + half + i. Used when half, stride and offset are multiples of 4, so both halves of every
// head and every table row start on vec4 boundaries and x, table are bound as array<vec4<f32>>: on CPU
// rasterisers storage loads are scalarised per lane, so a vec4 per invocation quarters the load/store
// instructions. Same f32 operations per component as the scalar kernel (bit-identical results). Sizes
// below in vec4 units; one (row, head, k) per invocation, linear index folded. Constant: DIR.

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
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;

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
  let c = table[pos * 2u * p.half4 + i];
  let s = table[pos * 2u * p.half4 + p.half4 + i] * DIR;
  let base = r * p.stride4 + p.offset4 + h * 2u * p.half4 + i;
  let x1 = x[base];
  let x2 = x[base + p.half4];
  x[base] = x1 * c - x2 * s;
  x[base + p.half4] = x2 * c + x1 * s;
}
