// attention.wgsl with four query rows per invocation, for CPU rasterisers: the four rows' scores,
// running maxima and sums are vec4 components, their query and accumulator heads mat4x4 columns, so
// each key and value texel is loaded once for four rows and every loop runs over head texels only.
//   out[b, i, h] = Σ_{j ≤ pos0 + i} softmax_j(scale · q[b, i, h] · k[b, j, kvh]) · v[b, j, kvh],
//   lse[b, h, i] = log Σ_{j ≤ pos0 + i} exp(scale · q[b, i, h] · k[b, j, kvh]),
// kvh = ⌊h / GROUP⌋. Texture and output layouts as in attention.wgsl. A workgroup covers the 4·LANES
// consecutive query rows of a block of one (b, h): invocation li holds rows first + r·LANES + li
// (r < 4) and the workgroup loops over keys up to its last row (uniform texture coordinates); each row
// masks keys past its position. Online softmax in f32 over keys in increasing order (deterministic); a
// row's result does not depend on LANES. Constants: HD (4, 8, 12 or 16: llvmpipe moves the private
// arrays of wider heads to per-lane scratch memory, which costs more than it saves), HEADS, GROUP, LANES.

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

/** Texel x of the four rows `at` (matrix columns), scaled. */
fn query(x: u32, at: vec4<u32>, b: u32) -> mat4x4<f32> {
  return mat4x4(
    textureLoad(qkv, vec2(x, at.x), b) * p.scale,
    textureLoad(qkv, vec2(x, at.y), b) * p.scale,
    textureLoad(qkv, vec2(x, at.z), b) * p.scale,
    textureLoad(qkv, vec2(x, at.w), b) * p.scale,
  );
}

/** Column r of `a` times f[r]. */
fn scale_columns(a: mat4x4<f32>, f: vec4<f32>) -> mat4x4<f32> {
  return mat4x4(a[0] * f.x, a[1] * f.y, a[2] * f.z, a[3] * f.w);
}

/** The matrix whose column r is v · w[r]. */
fn outer(v: vec4<f32>, w: vec4<f32>) -> mat4x4<f32> {
  return mat4x4(v * w.x, v * w.y, v * w.z, v * w.w);
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wg.y;
  let b = wg.z;
  let first = wg.x * (4u * LANES);
  let last = p.pos0 + min(first + 4u * LANES - 1u, p.tq - 1u);
  let q_x = p.q_x + h * HD4;
  let k_x = p.k_x + (h / GROUP) * HD4;
  let v_x = p.v_x + (h / GROUP) * HD4;
  let rows = vec4(first + li) + vec4(0u, 1u, 2u, 3u) * LANES;
  let mine = vec4(p.pos0) + min(rows, vec4(p.tq - 1u));
  // Column r of qs[c] is texel c of row r's scaled query head.
  var qs: array<mat4x4<f32>, HD4>;
  var acc: array<mat4x4<f32>, HD4>;
  for (var c = 0u; c < HD4; c++) {
    qs[c] = query(q_x + c, mine, b);
  }
  var m = vec4(-3.0e38);
  var l = vec4(0.0);
  for (var j = 0u; j <= last; j++) {
    var vj: array<vec4<f32>, HD4>;
    var s = vec4(0.0);
    for (var c = 0u; c < HD4; c++) {
      s += textureLoad(qkv, vec2(k_x + c, j), b) * qs[c];
      vj[c] = textureLoad(qkv, vec2(v_x + c, j), b);
    }
    let visible = vec4(j) <= mine;
    let top = max(m, select(m, s, visible));
    if (any(top > m)) {
      // exp(0) = 1 for the rows whose maximum stays.
      let correction = exp(m - top);
      l *= correction;
      for (var c = 0u; c < HD4; c++) {
        acc[c] = scale_columns(acc[c], correction);
      }
      m = top;
    }
    let weight = select(vec4(0.0), exp(s - m), visible);
    l += weight;
    for (var c = 0u; c < HD4; c++) {
      acc[c] += outer(vj[c], weight);
    }
  }
  let inv = 1.0 / l;
  for (var c = 0u; c < HD4; c++) {
    emit(rows, b, h, c, scale_columns(acc[c], inv));
  }
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
