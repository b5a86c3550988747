// Tiled-family GEMM (real GPUs): C = α·op(A)·op(B) + β·C with workgroup-memory tiles and vec4
// register blocking. Compile-time constants (prepended by the host from a TiledConfig):
// TILE_M, TILE_N, TILE_K (workgroup tile), THREAD_M, THREAD_N (outputs per invocation, THREAD_N a
// multiple of 4). Workgroup (TILE_N / THREAD_N, TILE_M / THREAD_M); workgroup z is the batch item.
// Stored element (r, c) of batch item z of X is x[offset_x + z·stride_x + r·ldx + c]; op(A) is
// [m, k], op(B) is [k, n]. Tiles are loaded with bounds checks (zeros outside), so any m, n, k work.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  offset_a: u32,
  offset_b: u32,
  offset_c: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
  trans_a: u32,
  trans_b: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const WG_X = TILE_N / THREAD_N;
const WG_Y = TILE_M / THREAD_M;
const THREADS = WG_X * WG_Y;
const TN4 = THREAD_N / 4;

// tile_a[kk · TILE_M + i] = op(A)[row0 + i, k0 + kk]; tile_b[kk · TILE_N + j] = op(B)[k0 + kk, col0 + j].
var<workgroup> tile_a: array<f32, TILE_K * TILE_M>;
var<workgroup> tile_b: array<f32, TILE_K * TILE_N>;

fn op_a(z: u32, r: u32, kk: u32) -> f32 {
  if (r >= p.m || kk >= p.k) {
    return 0.0;
  }
  let within = select(r * p.lda + kk, kk * p.lda + r, p.trans_a != 0u);
  return a[p.offset_a + z * p.stride_a + within];
}

fn op_b(z: u32, kk: u32, col: u32) -> f32 {
  if (kk >= p.k || col >= p.n) {
    return 0.0;
  }
  let within = select(kk * p.ldb + col, col * p.ldb + kk, p.trans_b != 0u);
  return b[p.offset_b + z * p.stride_b + within];
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
  @builtin(workgroup_id) wg: vec3<u32>,
) {
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let z = wg.z;
  var acc: array<vec4<f32>, THREAD_M * TN4>;
  for (var k0 = 0u; k0 < p.k; k0 += TILE_K) {
    // Consecutive invocations read consecutive addresses of the stored matrix.
    for (var e = li; e < TILE_K * TILE_M; e += THREADS) {
      var i = e / TILE_K;
      var kk = e % TILE_K;
      if (p.trans_a != 0u) {
        i = e % TILE_M;
        kk = e / TILE_M;
      }
      tile_a[kk * TILE_M + i] = op_a(z, row0 + i, k0 + kk);
    }
    for (var e = li; e < TILE_K * TILE_N; e += THREADS) {
      var j = e % TILE_N;
      var kk = e / TILE_N;
      if (p.trans_b != 0u) {
        j = e / TILE_K;
        kk = e % TILE_K;
      }
      tile_b[kk * TILE_N + j] = op_b(z, k0 + kk, col0 + j);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var bv: array<vec4<f32>, TN4>;
      for (var j = 0u; j < TN4; j++) {
        let o = kk * TILE_N + lid.x * THREAD_N + j * 4u;
        bv[j] = vec4<f32>(tile_b[o], tile_b[o + 1u], tile_b[o + 2u], tile_b[o + 3u]);
      }
      for (var i = 0u; i < THREAD_M; i++) {
        let av = vec4<f32>(tile_a[kk * TILE_M + lid.y * THREAD_M + i]);
        for (var j = 0u; j < TN4; j++) {
          acc[i * TN4 + j] = fma(av, bv[j], acc[i * TN4 + j]);
        }
      }
    }
    workgroupBarrier();
  }
  let base = p.offset_c + z * p.stride_c;
  for (var i = 0u; i < THREAD_M; i++) {
    let r = row0 + lid.y * THREAD_M + i;
    if (r >= p.m) {
      break;
    }
    for (var j = 0u; j < THREAD_N; j++) {
      let col = col0 + lid.x * THREAD_N + j;
      if (col < p.n) {
        let idx = base + r * p.ldc + col;
        var value = p.alpha * acc[i * TN4 + j / 4u][j % 4u];
        if (p.beta != 0.0) {
          value += p.beta * c[idx];
        }
        c[idx] = value;
      }
    }
  }
}
