// attention_backward_query.wgsl with four query rows per invocation, for CPU rasterisers (the rows'
// scalars are vec4 components, their heads mat4x4 columns; see attention_rows4.wgsl): for each (b, h, i),
//   dq_i = scale · Σ_{j ≤ i} P_ij (dP_ij − D_i) k_j,  P_ij = exp(scale · q_i·k_j − lse_i),
//   dP_ij = dout_i · v_j,
// written to columns q_col + h·HD … of row b·T + i of dqkv (row stride `stride`). Textures as in
// attention_backward_query.wgsl. Keys in increasing order (deterministic); a workgroup covers 4·LANES
// consecutive rows of one (b, h) (invocation li holds rows first + r·LANES + li) and loops to its last
// row, loading each key and value texel once for four rows. Each row's arithmetic is that of
// attention_backward_query.wgsl (bit-identical results); head texels are named struct members, as in
// attention_rows4.wgsl. Constants: HD (a multiple of 4, at most 32), HEADS, GROUP, LANES.

struct Params {
  t: u32,
  stride: u32,
  q_col: u32,
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

/** The four rows' scaled query heads starting at texel x of qkv. */
fn queries(x: u32, at: vec4<u32>, b: u32) -> Heads {
  var q: Heads;
  q.c0 = gather(qkv, x, at, b, p.scale);
  if (HD4 > 1) { q.c1 = gather(qkv, x + 1u, at, b, p.scale); }
  if (HD4 > 2) { q.c2 = gather(qkv, x + 2u, at, b, p.scale); }
  if (HD4 > 3) { q.c3 = gather(qkv, x + 3u, at, b, p.scale); }
  if (HD4 > 4) { q.c4 = gather(qkv, x + 4u, at, b, p.scale); }
  if (HD4 > 5) { q.c5 = gather(qkv, x + 5u, at, b, p.scale); }
  if (HD4 > 6) { q.c6 = gather(qkv, x + 6u, at, b, p.scale); }
  if (HD4 > 7) { q.c7 = gather(qkv, x + 7u, at, b, p.scale); }
  return q;
}

/** The four rows' output-gradient heads starting at texel x of grad. */
fn douts(x: u32, at: vec4<u32>, b: u32) -> Heads {
  var d: Heads;
  d.c0 = gather1(grad, x, at, b);
  if (HD4 > 1) { d.c1 = gather1(grad, x + 1u, at, b); }
  if (HD4 > 2) { d.c2 = gather1(grad, x + 2u, at, b); }
  if (HD4 > 3) { d.c3 = gather1(grad, x + 3u, at, b); }
  if (HD4 > 4) { d.c4 = gather1(grad, x + 4u, at, b); }
  if (HD4 > 5) { d.c5 = gather1(grad, x + 5u, at, b); }
  if (HD4 > 6) { d.c6 = gather1(grad, x + 6u, at, b); }
  if (HD4 > 7) { d.c7 = gather1(grad, x + 7u, at, b); }
  return d;
}

/** The head of qkv row `row` starting at texel x. */
fn texels(x: u32, row: u32, b: u32) -> Texels {
  var t: Texels;
  t.c0 = textureLoad(qkv, vec2(x, row), b);
  if (HD4 > 1) { t.c1 = textureLoad(qkv, vec2(x + 1u, row), b); }
  if (HD4 > 2) { t.c2 = textureLoad(qkv, vec2(x + 2u, row), b); }
  if (HD4 > 3) { t.c3 = textureLoad(qkv, vec2(x + 3u, row), b); }
  if (HD4 > 4) { t.c4 = textureLoad(qkv, vec2(x + 4u, row), b); }
  if (HD4 > 5) { t.c5 = textureLoad(qkv, vec2(x + 5u, row), b); }
  if (HD4 > 6) { t.c6 = textureLoad(qkv, vec2(x + 6u, row), b); }
  if (HD4 > 7) { t.c7 = textureLoad(qkv, vec2(x + 7u, row), b); }
  return t;
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
  let h = wg.y;
  let b = wg.z;
  let first = wg.x * (4u * LANES);
  let last = min(first + 4u * LANES - 1u, p.t - 1u);
  let k_x = p.k_x + (h / GROUP) * HD4;
  let v_x = p.v_x + (h / GROUP) * HD4;
  let rows = vec4(first + li) + vec4(0u, 1u, 2u, 3u) * LANES;
  let mine = min(rows, vec4(p.t - 1u));
  let qs = queries(p.q_x + h * HD4, mine, b);
  let dout = douts(h * HD4, mine, b);
  // Rows are (lse, D) of the four rows.
  let stats = transpose(gather1(grad, p.stats_x + h, mine, b));
  var dq: Heads;
  for (var j = 0u; j <= last; j++) {
    let kj = texels(k_x, j, b);
    let s = dots(kj, qs);
    let dp = dots(texels(v_x, j, b), dout);
    let prob = select(vec4(0.0), exp(s - stats[0]), vec4(j) <= mine);
    let ds = prob * (dp - stats[1]);
    dq = add_weighted(dq, kj, ds);
  }
  emit(rows, b, h, 0u, dq.c0);
  if (HD4 > 1) { emit(rows, b, h, 1u, dq.c1); }
  if (HD4 > 2) { emit(rows, b, h, 2u, dq.c2); }
  if (HD4 > 3) { emit(rows, b, h, 3u, dq.c3); }
  if (HD4 > 4) { emit(rows, b, h, 4u, dq.c4); }
  if (HD4 > 5) { emit(rows, b, h, 5u, dq.c5); }
  if (HD4 > 6) { emit(rows, b, h, 6u, dq.c6); }
  if (HD4 > 7) { emit(rows, b, h, 7u, dq.c7); }
}

/** Writes texel c of the four rows' query gradients (matrix columns, before scaling). */
fn emit(rows: vec4<u32>, b: u32, h: u32, c: u32, dq: mat4x4<f32>) {
  let g = dq * p.scale;
  emit_row(rows.x, b, h, c, g[0]);
  emit_row(rows.y, b, h, c, g[1]);
  emit_row(rows.z, b, h, c, g[2]);
  emit_row(rows.w, b, h, c, g[3]);
}

/** Writes texel c of row i's query gradient (skipped past the last row). */
fn emit_row(i: u32, b: u32, h: u32, c: u32, g: vec4<f32>) {
  if (i < p.t) {
    let at = (b * p.t + i) * p.stride + p.q_col + h * HD + c * 4u;
    dqkv[at] = g.x;
    dqkv[at + 1u] = g.y;
    dqkv[at + 2u] = g.z;
    dqkv[at + 3u] = g.w;
  }
}
