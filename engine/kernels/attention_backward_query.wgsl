// Attention backward, query side: for each (b, h, i),
//   dq_i = scale · Σ_{j ≤ i} P_ij (dP_ij − D_i) k_j,  P_ij = exp(scale · q_i·k_j − lse_i),
//   dP_ij = dout_i · v_j,
// written to columns q_col + h·HD … of row b·T + i of dqkv (row stride `stride`).
// qkv: the forward pass's texture (rotated q, k, v at texels q_x, k_x, v_x + head·HD4 + c);
// grad: dout heads at texels h·HD4 + c and (lse, D) at texel stats_x + h (attention_stats.wgsl).
// Keys in increasing order (deterministic); a workgroup covers ROWS rows of one (b, h) and loops to
// its last row so texture coordinates are uniform. Constants: HD, HEADS, GROUP, ROWS (rows per workgroup, see attentionRows()).

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

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wg.y;
  let b = wg.z;
  let i = wg.x * ROWS + li;
  let mine = min(i, p.t - 1u);
  let last = min(wg.x * ROWS + ROWS - 1u, p.t - 1u);
  let q_x = p.q_x + h * HD4;
  let k_x = p.k_x + (h / GROUP) * HD4;
  let v_x = p.v_x + (h / GROUP) * HD4;
  var qs: array<vec4<f32>, HD4>;
  var dout: array<vec4<f32>, HD4>;
  var dq: array<vec4<f32>, HD4>;
  for (var c = 0u; c < HD4; c++) {
    qs[c] = textureLoad(qkv, vec2(q_x + c, mine), b) * p.scale;
    dout[c] = textureLoad(grad, vec2(h * HD4 + c, mine), b);
  }
  let stats = textureLoad(grad, vec2(p.stats_x + h, mine), b);
  for (var j = 0u; j <= last; j++) {
    var kj: array<vec4<f32>, HD4>;
    var s = 0.0;
    var dp = 0.0;
    for (var c = 0u; c < HD4; c++) {
      kj[c] = textureLoad(qkv, vec2(k_x + c, j), b);
      s += dot(qs[c], kj[c]);
      dp += dot(dout[c], textureLoad(qkv, vec2(v_x + c, j), b));
    }
    let prob = select(0.0, exp(s - stats.x), j <= mine);
    let ds = prob * (dp - stats.y);
    for (var c = 0u; c < HD4; c++) {
      dq[c] += ds * kj[c];
    }
  }
  if (i < p.t) {
    let base = (b * p.t + i) * p.stride + p.q_col + h * HD;
    for (var c = 0u; c < HD4; c++) {
      let g = dq[c] * p.scale;
      dqkv[base + c * 4u] = g.x;
      dqkv[base + c * 4u + 1u] = g.y;
      dqkv[base + c * 4u + 2u] = g.z;
      dqkv[base + c * 4u + 3u] = g.w;
    }
  }
}
