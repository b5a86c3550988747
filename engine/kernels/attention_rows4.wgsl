// attention.wgsl with four query rows per invocation, for CPU rasterisers: the four rows' scores,
// running maxima and sums are vec4 components, their query and accumulator heads mat4x4 columns, so
// each key and value texel is loaded once for four rows.
//   out[b, i, h] = Σ_{j ≤ pos0 + i} softmax_j(scale · q[b, i, h] · k[b, j, kvh]) · v[b, j, kvh],
//   lse[b, h, i] = log Σ_{j ≤ pos0 + i} exp(scale · q[b, i, h] · k[b, j, kvh]),
// kvh = ⌊h / GROUP⌋. Texture and output layouts as in attention.wgsl. A workgroup covers the 4·LANES
// consecutive query rows of a block of one (b, h): invocation li holds rows first + r·LANES + li
// (r < 4) and the workgroup loops over keys up to its last row (uniform texture coordinates); each row
// masks keys past its position. Online softmax in f32 over keys in increasing order (deterministic); a
// row's result does not depend on LANES, and each row's arithmetic is that of attention.wgsl (a score
// component of k · qs is the dot product of that row's query texel with the key texel), so the results
// are bit-identical to it. Head texels are named struct members (Heads, Texels), read and written under
// conditions on the constant HD4 that the compiler resolves, not private arrays: llvmpipe keeps arrays
// it cannot resolve to registers in per-lane scratch memory, which costs more than the kernel saves.
// Constants: HD (a multiple of 4, at most 32), HEADS, GROUP, LANES.

struct Params {
  tq: u32,
  pos0: u32,
  q_x: u32,
  k_x: u32,
  v_x: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var qkv: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;

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

/** Texel x of the four rows `at` (matrix columns), scaled. */
fn query(x: u32, at: vec4<u32>, b: u32) -> mat4x4<f32> {
  return mat4x4(
    textureLoad(qkv, vec2(x, at.x), b) * p.scale,
    textureLoad(qkv, vec2(x, at.y), b) * p.scale,
    textureLoad(qkv, vec2(x, at.z), b) * p.scale,
    textureLoad(qkv, vec2(x, at.w), b) * p.scale,
  );
}

/** The four rows' scaled query heads starting at texel x. */
fn queries(x: u32, at: vec4<u32>, b: u32) -> Heads {
  var q: Heads;
  q.c0 = query(x, at, b);
  if (HD4 > 1) { q.c1 = query(x + 1u, at, b); }
  if (HD4 > 2) { q.c2 = query(x + 2u, at, b); }
  if (HD4 > 3) { q.c3 = query(x + 3u, at, b); }
  if (HD4 > 4) { q.c4 = query(x + 4u, at, b); }
  if (HD4 > 5) { q.c5 = query(x + 5u, at, b); }
  if (HD4 > 6) { q.c6 = query(x + 6u, at, b); }
  if (HD4 > 7) { q.c7 = query(x + 7u, at, b); }
  return q;
}

/** The head of row `row` starting at texel x. */
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

/** The four rows' scores against key k, summed over texels in increasing order. */
fn scores(k: Texels, q: Heads) -> vec4<f32> {
  var s = vec4(0.0);
  s += k.c0 * q.c0;
  if (HD4 > 1) { s += k.c1 * q.c1; }
  if (HD4 > 2) { s += k.c2 * q.c2; }
  if (HD4 > 3) { s += k.c3 * q.c3; }
  if (HD4 > 4) { s += k.c4 * q.c4; }
  if (HD4 > 5) { s += k.c5 * q.c5; }
  if (HD4 > 6) { s += k.c6 * q.c6; }
  if (HD4 > 7) { s += k.c7 * q.c7; }
  return s;
}

/** Column r of `a` times f[r]. */
fn scale_columns(a: mat4x4<f32>, f: vec4<f32>) -> mat4x4<f32> {
  return mat4x4(a[0] * f.x, a[1] * f.y, a[2] * f.z, a[3] * f.w);
}

/** Every head texel of row r times f[r]. */
fn scale_heads(a: Heads, f: vec4<f32>) -> Heads {
  var r = a;
  r.c0 = scale_columns(a.c0, f);
  if (HD4 > 1) { r.c1 = scale_columns(a.c1, f); }
  if (HD4 > 2) { r.c2 = scale_columns(a.c2, f); }
  if (HD4 > 3) { r.c3 = scale_columns(a.c3, f); }
  if (HD4 > 4) { r.c4 = scale_columns(a.c4, f); }
  if (HD4 > 5) { r.c5 = scale_columns(a.c5, f); }
  if (HD4 > 6) { r.c6 = scale_columns(a.c6, f); }
  if (HD4 > 7) { r.c7 = scale_columns(a.c7, f); }
  return r;
}

/** The matrix whose column r is v · w[r]. */
fn outer(v: vec4<f32>, w: vec4<f32>) -> mat4x4<f32> {
  return mat4x4(v * w.x, v * w.y, v * w.z, v * w.w);
}

/** acc plus value head v weighted by w[r] in row r. */
fn add_weighted(acc: Heads, v: Texels, w: vec4<f32>) -> Heads {
  var r = acc;
  r.c0 += outer(v.c0, w);
  if (HD4 > 1) { r.c1 += outer(v.c1, w); }
  if (HD4 > 2) { r.c2 += outer(v.c2, w); }
  if (HD4 > 3) { r.c3 += outer(v.c3, w); }
  if (HD4 > 4) { r.c4 += outer(v.c4, w); }
  if (HD4 > 5) { r.c5 += outer(v.c5, w); }
  if (HD4 > 6) { r.c6 += outer(v.c6, w); }
  if (HD4 > 7) { r.c7 += outer(v.c7, w); }
  return r;
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wg.y;
  let b = wg.z;
  let first = wg.x * (4u * LANES);
  let last = p.pos0 + min(first + 4u * LANES - 1u, p.tq - 1u);
  let k_x = p.k_x + (h / GROUP) * HD4;
  let v_x = p.v_x + (h / GROUP) * HD4;
  let rows = vec4(first + li) + vec4(0u, 1u, 2u, 3u) * LANES;
  let mine = vec4(p.pos0) + min(rows, vec4(p.tq - 1u));
  let qs = queries(p.q_x + h * HD4, mine, b);
  var acc: Heads;
  var m = vec4(-3.0e38);
  var l = vec4(0.0);
  for (var j = 0u; j <= last; j++) {
    let s = scores(texels(k_x, j, b), qs);
    let vj = texels(v_x, j, b);
    let visible = vec4(j) <= mine;
    let top = max(m, select(m, s, visible));
    if (any(top > m)) {
      // exp(0) = 1 for the rows whose maximum stays.
      let correction = exp(m - top);
      l *= correction;
      acc = scale_heads(acc, correction);
      m = top;
    }
    let weight = select(vec4(0.0), exp(s - m), visible);
    l += weight;
    acc = add_weighted(acc, vj, weight);
  }
  let o = scale_heads(acc, 1.0 / l);
  emit(rows, b, h, 0u, o.c0);
  if (HD4 > 1) { emit(rows, b, h, 1u, o.c1); }
  if (HD4 > 2) { emit(rows, b, h, 2u, o.c2); }
  if (HD4 > 3) { emit(rows, b, h, 3u, o.c3); }
  if (HD4 > 4) { emit(rows, b, h, 4u, o.c4); }
  if (HD4 > 5) { emit(rows, b, h, 5u, o.c5); }
  if (HD4 > 6) { emit(rows, b, h, 6u, o.c6); }
  if (HD4 > 7) { emit(rows, b, h, 7u, o.c7); }
  let logs = m + log(l);
  emit_lse(rows.x, b, h, logs.x);
  emit_lse(rows.y, b, h, logs.y);
  emit_lse(rows.z, b, h, logs.z);
  emit_lse(rows.w, b, h, logs.w);
}

/** Writes texel c of a head output row (skipped past the last row). */
fn emit_row(i: u32, b: u32, h: u32, c: u32, o: vec4<f32>) {
  if (i < p.tq) {
    let at = (b * p.tq + i) * (HEADS * HD) + h * HD + c * 4u;
    out[at] = o.x;
    out[at + 1u] = o.y;
    out[at + 2u] = o.z;
    out[at + 3u] = o.w;
  }
}

/** Writes texel c of the four rows' outputs (matrix columns). */
fn emit(rows: vec4<u32>, b: u32, h: u32, c: u32, o: mat4x4<f32>) {
  emit_row(rows.x, b, h, c, o[0]);
  emit_row(rows.y, b, h, c, o[1]);
  emit_row(rows.z, b, h, c, o[2]);
  emit_row(rows.w, b, h, c, o[3]);
}

fn emit_lse(i: u32, b: u32, h: u32, value: f32) {
  if (i < p.tq) {
    lse[(b * HEADS + h) * p.tq + i] = value;
  }
}
