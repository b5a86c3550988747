// One step of the parallel cyclic Jacobi method (round-robin / Brent-Luk ordering) on a batch of
// symmetric f32 matrices: A' = Jᵀ A J and V' = V J, where J rotates m/2 disjoint index pairs at once.
//
// Shapes: a_in, a_out, v_in, v_out are [batch, n, n] row-major (matrix z at z·n·n). V holds the
// eigenvectors as columns: V[r, j] is component r of vector j. m = n rounded up to even; when n is odd,
// index n is a phantom (no row, no column) and whoever it is paired with is not rotated this step.
//
// Pairing at step s (0 ≤ s < m − 1, one sweep visits every pair once): position 0 holds index 0,
// position i > 0 holds ((i − 1 + s) mod (m − 1)) + 1; pair k joins positions k and m − 1 − k, as
// (p, q) with p < q.
//
// Rotation of pair (p, q), computed from A (as the CPU reference `symmetric_eigen.ts`, Rutishauser's
// stable tangent): θ = (a_qq − a_pp) / (2 a_pq), t = sign(θ) / (|θ| + √(θ² + 1)) (t = 1/(2θ) when
// |θ| > 1e18), c = 1/√(t² + 1), s = t·c; J_pp = J_qq = c, J_pq = s, J_qp = −s. No rotation when
// |a_pq| < 1e-30 (f32 underflow guard; the host scales A to max |a| ≈ 1 first; a_pq is still zeroed).
// Then
//   a'_pp = a_pp − t a_pq, a'_qq = a_qq + t a_pq, a'_pq = a'_qp = 0;
//   off-diagonal 2×2 blocks (rows of pair k, columns of pair l): columns first (A J_l), then rows (J_kᵀ ·).
// Invocation (k, l) with k ≤ l writes the blocks (k, l) and (l, k) of A' (the second as the transpose
// of the first, so A' stays exactly symmetric) and the blocks (rows k, cols l), (rows l, cols k) of V'.
// Every invocation recomputes the two rotations it needs from a_in (same inputs, same bits).
// Workgroups (8, 8): x over l, y over k; z is the matrix.

struct Params {
  n: u32,
  half: u32, // m / 2
  step: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a_in: array<f32>;
@group(0) @binding(2) var<storage, read> v_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_out: array<f32>;

// Index at round-robin position `pos`.
fn player(pos: u32) -> u32 {
  if (pos == 0u) {
    return 0u;
  }
  let m1 = 2u * p.half - 1u;
  return (pos - 1u + p.step) % m1 + 1u;
}

fn pair_of(k: u32) -> vec2<u32> {
  let x = player(k);
  let y = player(2u * p.half - 1u - k);
  return vec2<u32>(min(x, y), max(x, y));
}

// (c, s, t) of the rotation of pair pq in matrix `base`.
fn rotation(pq: vec2<u32>, base: u32) -> vec3<f32> {
  if (pq.y >= p.n) {
    return vec3<f32>(1.0, 0.0, 0.0);
  }
  let apq = a_in[base + pq.x * p.n + pq.y];
  if (abs(apq) < 1e-30) {
    return vec3<f32>(1.0, 0.0, 0.0);
  }
  let app = a_in[base + pq.x * p.n + pq.x];
  let aqq = a_in[base + pq.y * p.n + pq.y];
  let theta = (aqq - app) / (2.0 * apq);
  var t: f32;
  if (abs(theta) > 1e18) {
    t = 0.5 / theta;
  } else {
    let sgn = select(-1.0, 1.0, theta >= 0.0);
    t = sgn / (abs(theta) + sqrt(theta * theta + 1.0));
  }
  let c = 1.0 / sqrt(t * t + 1.0);
  return vec3<f32>(c, t * c, t);
}

fn load_a(base: u32, r: u32, c: u32) -> f32 {
  if (r >= p.n || c >= p.n) {
    return 0.0;
  }
  return a_in[base + r * p.n + c];
}

fn load_v(base: u32, r: u32, c: u32) -> f32 {
  if (r >= p.n || c >= p.n) {
    return 0.0;
  }
  return v_in[base + r * p.n + c];
}

fn store_a(base: u32, r: u32, c: u32, value: f32) {
  if (r < p.n && c < p.n) {
    a_out[base + r * p.n + c] = value;
  }
}

fn store_v(base: u32, r: u32, c: u32, value: f32) {
  if (r < p.n && c < p.n) {
    v_out[base + r * p.n + c] = value;
  }
}

// V' rows (r0, r1) (a pair, either order) at the columns of pair pq rotated by rot.
fn rotate_v(base: u32, rows: vec2<u32>, pq: vec2<u32>, rot: vec3<f32>) {
  for (var i = 0u; i < 2u; i++) {
    let r = rows[i];
    let vp = load_v(base, r, pq.x);
    let vq = load_v(base, r, pq.y);
    store_v(base, r, pq.x, rot.x * vp - rot.y * vq);
    store_v(base, r, pq.y, rot.y * vp + rot.x * vq);
  }
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let l = id.x;
  let k = id.y;
  if (k >= p.half || l >= p.half || k > l) {
    return;
  }
  let base = id.z * p.n * p.n;
  let pk = pair_of(k);
  let rk = rotation(pk, base);
  if (k == l) {
    if (pk.y < p.n) {
      let apq = load_a(base, pk.x, pk.y);
      store_a(base, pk.x, pk.x, load_a(base, pk.x, pk.x) - rk.z * apq);
      store_a(base, pk.y, pk.y, load_a(base, pk.y, pk.y) + rk.z * apq);
      store_a(base, pk.x, pk.y, 0.0);
      store_a(base, pk.y, pk.x, 0.0);
    } else {
      store_a(base, pk.x, pk.x, load_a(base, pk.x, pk.x));
    }
    rotate_v(base, pk, pk, rk);
    return;
  }
  let pl = pair_of(l);
  let rl = rotation(pl, base);
  // Columns of pair l first: B = A J_l on rows pk.x, pk.y.
  let a00 = load_a(base, pk.x, pl.x);
  let a01 = load_a(base, pk.x, pl.y);
  let a10 = load_a(base, pk.y, pl.x);
  let a11 = load_a(base, pk.y, pl.y);
  let b00 = rl.x * a00 - rl.y * a01;
  let b01 = rl.y * a00 + rl.x * a01;
  let b10 = rl.x * a10 - rl.y * a11;
  let b11 = rl.y * a10 + rl.x * a11;
  // Then rows of pair k: J_kᵀ B.
  let c00 = rk.x * b00 - rk.y * b10;
  let c01 = rk.x * b01 - rk.y * b11;
  let c10 = rk.y * b00 + rk.x * b10;
  let c11 = rk.y * b01 + rk.x * b11;
  store_a(base, pk.x, pl.x, c00);
  store_a(base, pk.x, pl.y, c01);
  store_a(base, pk.y, pl.x, c10);
  store_a(base, pk.y, pl.y, c11);
  store_a(base, pl.x, pk.x, c00);
  store_a(base, pl.y, pk.x, c01);
  store_a(base, pl.x, pk.y, c10);
  store_a(base, pl.y, pk.y, c11);
  rotate_v(base, pk, pl, rl);
  rotate_v(base, pl, pk, rk);
}
