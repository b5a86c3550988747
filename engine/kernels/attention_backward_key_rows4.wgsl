// attention_backward_key.wgsl with four keys per invocation, for CPU rasterisers (the keys' scalars
// are vec4 components, their heads mat4x4 columns; see attention_rows4.wgsl): for each (b, kvh, j),
// summing over the GROUP query heads h of key/value head kvh and the rows i ≥ j,
//   dk_j = scale · Σ_h Σ_i P_ij (dP_ij − D_i) q_i,   dv_j = Σ_h Σ_i P_ij dout_i,
// with P_ij = exp(scale · q_i·k_j − lse_i) and dP_ij = dout_i · v_j; written to columns
// k_col + kvh·HD … and v_col + kvh·HD … of row b·T + j of dqkv (row stride `stride`). Heads, then rows
// in increasing order (deterministic); a workgroup covers 4·LANES consecutive keys of one (b, kvh)
// (invocation li holds keys first + r·LANES + li) and starts at its first key, loading each query row
// once for four keys. Each key's arithmetic is that of attention_backward_key.wgsl (bit-identical
// results); head texels are named struct members, as in attention_rows4.wgsl. Constants: HD (a multiple
// of 4, at most 32), HEADS, GROUP, LANES.

struct Params {
  t: u32,
  stride: u32,
  k_col: u32,
  v_col: u32,
  q_x: u32,
  k_x: u32,
  v_x: u32,
  stats_x: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var qkv: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var grad: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> dqkv: array<f32>;

const HD4 = HD / 4;

/** Texels 0 … HD4 − 1 of the four rows' heads; column r of c<n> is texel n of row r. */
struct Heads {
  c0: mat4x4<f32>,
  c1: mat4x4<f32>,
  c2: mat4x4<f32>,
  c3: mat4x4<f32>,
  c4: mat4x4<f32>,
  c5: mat4x4<f32>,
  c6: mat4x4<f32>,
  c7: mat4x4<f32>,
}

/** Texels 0 … HD4 − 1 of one head row. */
struct Texels {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
  c4: vec4<f32>,
  c5: vec4<f32>,
  c6: vec4<f32>,
  c7: vec4<f32>,
}

/** Texel x of `t` in the four rows `at` (matrix columns), times f. */
fn gather(t: texture_storage_2d_array<rgba32float, read>, x: u32, at: vec4<u32>, b: u32, f: f32) -> mat4x4<f32> {
  return mat4x4(
    textureLoad(t, vec2(x, at.x), b) * f,
    textureLoad(t, vec2(x, at.y), b) * f,
    textureLoad(t, vec2(x, at.z), b) * f,
    textureLoad(t, vec2(x, at.w), b) * f,
  );
}

/** Texel x of `t` in the four rows `at` (matrix columns). */
fn gather1(t: texture_storage_2d_array<rgba32float, read>, x: u32, at: vec4<u32>, b: u32) -> mat4x4<f32> {
  return mat4x4(
    textureLoad(t, vec2(x, at.x), b),
    textureLoad(t, vec2(x, at.y), b),
    textureLoad(t, vec2(x, at.z), b),
    textureLoad(t, vec2(x, at.w), b),
  );
}

/** The four rows' heads starting at texel x of qkv, times f. */
fn heads(x: u32, at: vec4<u32>, b: u32, f: f32) -> Heads {
  var q: Heads;
  q.c0 = gather(qkv, x, at, b, f);
  if (HD4 > 1) { q.c1 = gather(qkv, x + 1u, at, b, f); }
  if (HD4 > 2) { q.c2 = gather(qkv, x + 2u, at, b, f); }
  if (HD4 > 3) { q.c3 = gather(qkv, x + 3u, at, b, f); }
  if (HD4 > 4) { q.c4 = gather(qkv, x + 4u, at, b, f); }
  if (HD4 > 5) { q.c5 = gather(qkv, x + 5u, at, b, f); }
  if (HD4 > 6) { q.c6 = gather(qkv, x + 6u, at, b, f); }
  if (HD4 > 7) { q.c7 = gather(qkv, x + 7u, at, b, f); }
  return q;
}

/** The head of row `row` of `t` starting at texel x. */
fn texels(t: texture_storage_2d_array<rgba32float, read>, x: u32, row: u32, b: u32) -> Texels {
  var r: Texels;
  r.c0 = textureLoad(t, vec2(x, row), b);
  if (HD4 > 1) { r.c1 = textureLoad(t, vec2(x + 1u, row), b); }
  if (HD4 > 2) { r.c2 = textureLoad(t, vec2(x + 2u, row), b); }
  if (HD4 > 3) { r.c3 = textureLoad(t, vec2(x + 3u, row), b); }
  if (HD4 > 4) { r.c4 = textureLoad(t, vec2(x + 4u, row), b); }
  if (HD4 > 5) { r.c5 = textureLoad(t, vec2(x + 5u, row), b); }
  if (HD4 > 6) { r.c6 = textureLoad(t, vec2(x + 6u, row), b); }
  if (HD4 > 7) { r.c7 = textureLoad(t, vec2(x + 7u, row), b); }
  return r;
}

/** The four rows' dot products of head `a` with t, summed over texels in increasing order. */
fn dots(t: Texels, a: Heads) -> vec4<f32> {
  var s = vec4(0.0);
  s += t.c0 * a.c0;
  if (HD4 > 1) { s += t.c1 * a.c1; }
  if (HD4 > 2) { s += t.c2 * a.c2; }
  if (HD4 > 3) { s += t.c3 * a.c3; }
  if (HD4 > 4) { s += t.c4 * a.c4; }
  if (HD4 > 5) { s += t.c5 * a.c5; }
  if (HD4 > 6) { s += t.c6 * a.c6; }
  if (HD4 > 7) { s += t.c7 * a.c7; }
  return s;
}

/** The matrix whose column r is v · w[r]. */
fn outer(v: vec4<f32>, w: vec4<f32>) -> mat4x4<f32> {
  return mat4x4(v * w.x, v * w.y, v * w.z, v * w.w);
}

/** acc plus head t weighted by w[r] in row r. */
fn add_weighted(acc: Heads, t: Texels, w: vec4<f32>) -> Heads {
  var r = acc;
  r.c0 += outer(t.c0, w);
  if (HD4 > 1) { r.c1 += outer(t.c1, w); }
  if (HD4 > 2) { r.c2 += outer(t.c2, w); }
  if (HD4 > 3) { r.c3 += outer(t.c3, w); }
  if (HD4 > 4) { r.c4 += outer(t.c4, w); }
  if (HD4 > 5) { r.c5 += outer(t.c5, w); }
  if (HD4 > 6) { r.c6 += outer(t.c6, w); }
  if (HD4 > 7) { r.c7 += outer(t.c7, w); }
  return r;
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let kvh = wg.y;
  let b = wg.z;
  let first = wg.x * (4u * LANES);
  let keys = vec4(first + li) + vec4(0u, 1u, 2u, 3u) * LANES;
  let mine = min(keys, vec4(p.t - 1u));
  let ks = heads(p.k_x + kvh * HD4, mine, b, p.scale);
  let vs = heads(p.v_x + kvh * HD4, mine, b, 1.0);
  var dk: Heads;
  var dv: Heads;
  for (var g = 0u; g < GROUP; g++) {
    let h = kvh * GROUP + g;
    let q_x = p.q_x + h * HD4;
    for (var i = first; i < p.t; i++) {
      let qi = texels(qkv, q_x, i, b);
      let gi = texels(grad, h * HD4, i, b);
      let s = dots(qi, ks);
      let dp = dots(gi, vs);
      let stats = textureLoad(grad, vec2(p.stats_x + h, i), b);
      let prob = select(vec4(0.0), exp(s - stats.x), vec4(i) >= mine);
      let ds = prob * (dp - stats.y);
      dv = add_weighted(dv, gi, prob);
      dk = add_weighted(dk, qi, ds);
    }
  }
  emit(keys, b, kvh, 0u, dk.c0, dv.c0);
  if (HD4 > 1) { emit(keys, b, kvh, 1u, dk.c1, dv.c1); }
  if (HD4 > 2) { emit(keys, b, kvh, 2u, dk.c2, dv.c2); }
  if (HD4 > 3) { emit(keys, b, kvh, 3u, dk.c3, dv.c3); }
  if (HD4 > 4) { emit(keys, b, kvh, 4u, dk.c4, dv.c4); }
  if (HD4 > 5) { emit(keys, b, kvh, 5u, dk.c5, dv.c5); }
  if (HD4 > 6) { emit(keys, b, kvh, 6u, dk.c6, dv.c6); }
  if (HD4 > 7) { emit(keys, b, kvh, 7u, dk.c7, dv.c7); }
}

/** Writes texel c of the four keys' key and value gradients (matrix columns; dk before scaling). */
fn emit(keys: vec4<u32>, b: u32, kvh: u32, c: u32, dk: mat4x4<f32>, dv: mat4x4<f32>) {
  let gk = dk * p.scale;
  emit_key(keys.x, b, kvh, c, gk[0], dv[0]);
  emit_key(keys.y, b, kvh, c, gk[1], dv[1]);
  emit_key(keys.z, b, kvh, c, gk[2], dv[2]);
  emit_key(keys.w, b, kvh, c, gk[3], dv[3]);
}

/** Writes texel c of key j's key and value gradients (skipped past the last row). */
fn emit_key(j: u32, b: u32, kvh: u32, c: u32, gk: vec4<f32>, gv: vec4<f32>) {
  if (j < p.t) {
    let base = (b * p.t + j) * p.stride + kvh * HD + c * 4u;
    let k_at = base + p.k_col;
    let v_at = base + p.v_col;
    dqkv[k_at] = gk.x;
    dqkv[k_at + 1u] = gk.y;
    dqkv[k_at + 2u] = gk.z;
    dqkv[k_at + 3u] = gk.w;
    dqkv[v_at] = gv.x;
    dqkv[v_at + 1u] = gv.y;
    dqkv[v_at + 2u] = gv.z;
    dqkv[v_at + 3u] = gv.w;
  }
}
