// attention_backward_query.wgsl with four query rows per invocation, for CPU rasterisers (the rows'
// scalars are vec4 components, their heads mat4x4 columns; see attention_rows4.wgsl): for each (b, h, i),
//   dq_i = scale · Σ_{j ≤ i} P_ij (dP_ij − D_i) k_j,  P_ij = exp(scale · q_i·k_j − lse_i),
//   dP_ij = dout_i · v_j,
// written to columns q_col + h·HD … of row b·T + i of dqkv (row stride `stride`). Textures as in
// attention_backward_query.wgsl. Keys in increasing order (deterministic); a workgroup covers 4·LANES
// consecutive rows of one (b, h) (invocation li holds rows first + r·LANES + li) and loops to its last
// row, loading each key and value texel once for four rows. Constants: HD (≤ 16, see attention_rows4.wgsl),
// HEADS, GROUP, LANES.

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

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wg.y;
  let b = wg.z;
  let first = wg.x * (4u * LANES);
  let last = min(first + 4u * LANES - 1u, p.t - 1u);
  let q_x = p.q_x + h * HD4;
  let k_x = p.k_x + (h / GROUP) * HD4;
  let v_x = p.v_x + (h / GROUP) * HD4;
  let rows = vec4(first + li) + vec4(0u, 1u, 2u, 3u) * LANES;
  let mine = min(rows, vec4(p.t - 1u));
  var qs: array<mat4x4<f32>, HD4>;
  var dout: array<mat4x4<f32>, HD4>;
  var dq: array<mat4x4<f32>, HD4>;
  for (var c = 0u; c < HD4; c++) {
    qs[c] = mat4x4(
      textureLoad(qkv, vec2(q_x + c, mine.x), b) * p.scale,
      textureLoad(qkv, vec2(q_x + c, mine.y), b) * p.scale,
      textureLoad(qkv, vec2(q_x + c, mine.z), b) * p.scale,
      textureLoad(qkv, vec2(q_x + c, mine.w), b) * p.scale,
    );
    dout[c] = mat4x4(
      textureLoad(grad, vec2(h * HD4 + c, mine.x), b),
      textureLoad(grad, vec2(h * HD4 + c, mine.y), b),
      textureLoad(grad, vec2(h * HD4 + c, mine.z), b),
      textureLoad(grad, vec2(h * HD4 + c, mine.w), b),
    );
  }
  // Rows are (lse, D) of the four rows.
  let stats = transpose(mat4x4(
    textureLoad(grad, vec2(p.stats_x + h, mine.x), b),
    textureLoad(grad, vec2(p.stats_x + h, mine.y), b),
    textureLoad(grad, vec2(p.stats_x + h, mine.z), b),
    textureLoad(grad, vec2(p.stats_x + h, mine.w), b),
  ));
  for (var j = 0u; j <= last; j++) {
    var kj: array<vec4<f32>, HD4>;
    var s = vec4(0.0);
    var dp = vec4(0.0);
    for (var c = 0u; c < HD4; c++) {
      kj[c] = textureLoad(qkv, vec2(k_x + c, j), b);
      s += kj[c] * qs[c];
      dp += textureLoad(qkv, vec2(v_x + c, j), b) * dout[c];
    }
    let prob = select(vec4(0.0), exp(s - stats[0]), vec4(j) <= mine);
    let ds = prob * (dp - stats[1]);
    for (var c = 0u; c < HD4; c++) {
      dq[c] += mat4x4(kj[c] * ds.x, kj[c] * ds.y, kj[c] * ds.z, kj[c] * ds.w);
    }
  }
  for (var c = 0u; c < HD4; c++) {
    let g = dq[c] * p.scale;
    emit(rows.x, b, h, c, g[0]);
    emit(rows.y, b, h, c, g[1]);
    emit(rows.z, b, h, c, g[2]);
    emit(rows.w, b, h, c, g[3]);
  }
}

/** Writes texel c of row i's query gradient (skipped past the last row). */
fn emit(i: u32, b: u32, h: u32, c: u32, g: vec4<f32>) {
  if (i < p.t) {
    let at = (b * p.t + i) * p.stride + p.q_col + h * HD + c * 4u;
    dqkv[at] = g.x;
    dqkv[at + 1u] = g.y;
    dqkv[at + 2u] = g.z;
    dqkv[at + 3u] = g.w;
  }
}
