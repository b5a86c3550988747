// attention_backward_key.wgsl with four keys per invocation, for CPU rasterisers (the keys' scalars
// are vec4 components, their heads mat4x4 columns; see attention_rows4.wgsl): for each (b, kvh, j),
// summing over the GROUP query heads h of key/value head kvh and the rows i ≥ j,
//   dk_j = scale · Σ_h Σ_i P_ij (dP_ij − D_i) q_i,   dv_j = Σ_h Σ_i P_ij dout_i,
// with P_ij = exp(scale · q_i·k_j − lse_i) and dP_ij = dout_i · v_j; written to columns
// k_col + kvh·HD … and v_col + kvh·HD … of row b·T + j of dqkv (row stride `stride`). Heads, then rows
// in increasing order (deterministic); a workgroup covers 4·LANES consecutive keys of one (b, kvh)
// (invocation li holds keys first + r·LANES + li) and starts at its first key, loading each query row
// once for four keys. Constants: HD (≤ 16, see attention_rows4.wgsl), HEADS, GROUP, LANES.

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

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let kvh = wg.y;
  let b = wg.z;
  let first = wg.x * (4u * LANES);
  let keys = vec4(first + li) + vec4(0u, 1u, 2u, 3u) * LANES;
  let mine = min(keys, vec4(p.t - 1u));
  let k_x = p.k_x + kvh * HD4;
  let v_x = p.v_x + kvh * HD4;
  var ks: array<mat4x4<f32>, HD4>;
  var vs: array<mat4x4<f32>, HD4>;
  var dk: array<mat4x4<f32>, HD4>;
  var dv: array<mat4x4<f32>, HD4>;
  for (var c = 0u; c < HD4; c++) {
    ks[c] = mat4x4(
      textureLoad(qkv, vec2(k_x + c, mine.x), b) * p.scale,
      textureLoad(qkv, vec2(k_x + c, mine.y), b) * p.scale,
      textureLoad(qkv, vec2(k_x + c, mine.z), b) * p.scale,
      textureLoad(qkv, vec2(k_x + c, mine.w), b) * p.scale,
    );
    vs[c] = mat4x4(
      textureLoad(qkv, vec2(v_x + c, mine.x), b),
      textureLoad(qkv, vec2(v_x + c, mine.y), b),
      textureLoad(qkv, vec2(v_x + c, mine.z), b),
      textureLoad(qkv, vec2(v_x + c, mine.w), b),
    );
  }
  for (var g = 0u; g < GROUP; g++) {
    let h = kvh * GROUP + g;
    let q_x = p.q_x + h * HD4;
    for (var i = first; i < p.t; i++) {
      var qi: array<vec4<f32>, HD4>;
      var gi: array<vec4<f32>, HD4>;
      var s = vec4(0.0);
      var dp = vec4(0.0);
      for (var c = 0u; c < HD4; c++) {
        qi[c] = textureLoad(qkv, vec2(q_x + c, i), b);
        gi[c] = textureLoad(grad, vec2(h * HD4 + c, i), b);
        s += qi[c] * ks[c];
        dp += gi[c] * vs[c];
      }
      let stats = textureLoad(grad, vec2(p.stats_x + h, i), b);
      let prob = select(vec4(0.0), exp(s - stats.x), vec4(i) >= mine);
      let ds = prob * (dp - stats.y);
      for (var c = 0u; c < HD4; c++) {
        dv[c] += mat4x4(gi[c] * prob.x, gi[c] * prob.y, gi[c] * prob.z, gi[c] * prob.w);
        dk[c] += mat4x4(qi[c] * ds.x, qi[c] * ds.y, qi[c] * ds.z, qi[c] * ds.w);
      }
    }
  }
  for (var c = 0u; c < HD4; c++) {
    let gk = dk[c] * p.scale;
    emit(keys.x, b, kvh, c, gk[0], dv[c][0]);
    emit(keys.y, b, kvh, c, gk[1], dv[c][1]);
    emit(keys.z, b, kvh, c, gk[2], dv[c][2]);
    emit(keys.w, b, kvh, c, gk[3], dv[c][3]);
  }
}

/** Writes texel c of key j's key and value gradients (skipped past the last row). */
fn emit(j: u32, b: u32, kvh: u32, c: u32, gk: vec4<f32>, gv: vec4<f32>) {
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
