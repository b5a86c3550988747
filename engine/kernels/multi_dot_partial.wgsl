// Split-K partial dot products of every row of P with every row of X (first pass of multi_dot.ts):
//   partial[(c·m + i)·n + j] = Σ_{k in chunk c} P[i, k] · X[j, k],  chunk c = [c·CHUNK, (c+1)·CHUNK) ∩ [0, K),
// for i < m, j < n. P and X are row-major f32 read as vec4 (K, the row strides and the offsets are
// multiples of 4; all in vec4 units below). Each invocation keeps a 4 × 4 block of (i, j) in registers
// and walks its chunk serially (fixed order; no workgroup memory, no barriers: CPU rasterisers
// scalarise storage loads per lane, so 8 vec4 loads per 64 multiply-adds is what makes this fast).
// Rows past m or n are clamped on load and skipped on store.
// Invocation t (linear, folded over (x, y) workgroups): j-block t mod nb, i-block (t / nb) mod mb,
// chunk t / (nb·mb), with mb = ⌈m/4⌉, nb = ⌈n/4⌉.
// CHUNK4 (host constant): chunk length / 4.

struct Params {
  m: u32,
  n: u32,
  k4: u32,
  chunks: u32,
  ldp4: u32,
  ldx4: u32,
  offset_p4: u32,
  offset_x4: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> lhs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> rhs: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  let mb = (p.m + 3u) / 4u;
  let nb = (p.n + 3u) / 4u;
  if (t >= mb * nb * p.chunks) {
    return;
  }
  let jb = t % nb;
  let ib = (t / nb) % mb;
  let c = t / (nb * mb);
  let i0 = ib * 4u;
  let j0 = jb * 4u;
  let r0 = p.offset_p4 + min(i0, p.m - 1u) * p.ldp4;
  let r1 = p.offset_p4 + min(i0 + 1u, p.m - 1u) * p.ldp4;
  let r2 = p.offset_p4 + min(i0 + 2u, p.m - 1u) * p.ldp4;
  let r3 = p.offset_p4 + min(i0 + 3u, p.m - 1u) * p.ldp4;
  let s0 = p.offset_x4 + min(j0, p.n - 1u) * p.ldx4;
  let s1 = p.offset_x4 + min(j0 + 1u, p.n - 1u) * p.ldx4;
  let s2 = p.offset_x4 + min(j0 + 2u, p.n - 1u) * p.ldx4;
  let s3 = p.offset_x4 + min(j0 + 3u, p.n - 1u) * p.ldx4;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let start = c * CHUNK4;
  let end = min(p.k4, start + CHUNK4);
  for (var k = start; k < end; k++) {
    let x = mat4x4<f32>(rhs[s0 + k], rhs[s1 + k], rhs[s2 + k], rhs[s3 + k]);
    // vecᵀ · x gives the four dot products of one P row with the four X rows.
    acc0 += lhs[r0 + k] * x;
    acc1 += lhs[r1 + k] * x;
    acc2 += lhs[r2 + k] * x;
    acc3 += lhs[r3 + k] * x;
  }
  let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var a = 0u; a < 4u; a++) {
    let i = i0 + a;
    if (i < p.m) {
      for (var b = 0u; b < 4u; b++) {
        let j = j0 + b;
        if (j < p.n) {
          partial[(c * p.m + i) * p.n + j] = rows[a][b];
        }
      }
    }
  }
}
