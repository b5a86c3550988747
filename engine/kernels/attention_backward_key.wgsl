// Attention backward, key/value side: for each (b, kvh, j), summing over the GROUP query heads h of
// key/value head kvh and the rows i ≥ j,
//   dk_j = scale · Σ_h Σ_i P_ij (dP_ij − D_i) q_i,   dv_j = Σ_h Σ_i P_ij dout_i,
// with P_ij = exp(scale · q_i·k_j − lse_i) and dP_ij = dout_i · v_j; written to columns
// k_col + kvh·HD … and v_col + kvh·HD … of row b·T + j of dqkv (row stride `stride`).
// Textures as in attention_backward_query.wgsl. Heads, then rows in increasing order
// (deterministic); a workgroup covers ROWS keys of one (b, kvh) and starts at its first key, so texture
// coordinates are uniform. Constants: HD, HEADS, GROUP, ROWS (rows per workgroup, see attentionRows()).

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

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let kvh = wg.y;
  let b = wg.z;
  let j = wg.x * ROWS + li;
  let mine = min(j, p.t - 1u);
  let first = wg.x * ROWS;
  var ks: array<vec4<f32>, HD4>;
  var v: array<vec4<f32>, HD4>;
  var dk: array<vec4<f32>, HD4>;
  var dv: array<vec4<f32>, HD4>;
  for (var c = 0u; c < HD4; c++) {
    ks[c] = textureLoad(qkv, vec2(p.k_x + kvh * HD4 + c, mine), b) * p.scale;
    v[c] = textureLoad(qkv, vec2(p.v_x + kvh * HD4 + c, mine), b);
  }
  for (var g = 0u; g < GROUP; g++) {
    let h = kvh * GROUP + g;
    let q_x = p.q_x + h * HD4;
    for (var i = first; i < p.t; i++) {
      var qi: array<vec4<f32>, HD4>;
      var gi: array<vec4<f32>, HD4>;
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < HD4; c++) {
        qi[c] = textureLoad(qkv, vec2(q_x + c, i), b);
        gi[c] = textureLoad(grad, vec2(h * HD4 + c, i), b);
        s += dot(ks[c], qi[c]);
        dp += dot(v[c], gi[c]);
      }
      let stats = textureLoad(grad, vec2(p.stats_x + h, i), b);
      let prob = select(0.0, exp(s - stats.x), i >= mine);
      let ds = prob * (dp - stats.y);
      for (var c = 0u; c < HD4; c++) {
        dv[c] += prob * gi[c];
        dk[c] += ds * qi[c];
      }
    }
  }
  if (j < p.t) {
    let base = (b * p.t + j) * p.stride + kvh * HD;
    for (var c = 0u; c < HD4; c++) {
      let gk = dk[c] * p.scale;
      let gv = dv[c];
      let k_at = base + p.k_col + c * 4u;
      let v_at = base + p.v_col + c * 4u;
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
}
