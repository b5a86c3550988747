// Causal multi-head attention forward with grouped-query heads, one query row per invocation:
//   out[b, i, h] = Σ_{j ≤ pos0 + i} softmax_j(scale · q[b, i, h] · k[b, j, kvh]) · v[b, j, kvh],
//   lse[b, h, i] = log Σ_{j ≤ pos0 + i} exp(scale · q[b, i, h] · k[b, j, kvh])   (for the backward),
// with kvh = ⌊h / GROUP⌋ and query row i at position pos0 + i (training: pos0 = 0, tq = T; decoding
// with a key/value cache: tq = 1 and pos0 = the new token's position).
// qkv: texture, layer b, row = position, holding rotated query heads at texels q_x + h·HD4 + c,
// key heads at k_x + kvh·HD4 + c and value heads at v_x + kvh·HD4 + c (HD4 = HD / 4 texels per head).
// out: [B·tq, HEADS·HD] row-major; lse: [B, HEADS, tq].
// Online softmax in f32 over keys in increasing order (deterministic). A workgroup covers ROWS
// consecutive query rows of one (b, h) and loops over keys up to its last row, so texture coordinates
// are the same across the workgroup; each row masks keys past its position.
// Constants: HD (head width, a multiple of 4), HEADS, GROUP (query heads per key/value head), ROWS
// (query rows per workgroup, see attentionRows()).

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

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wg.y;
  let b = wg.z;
  let i = wg.x * ROWS + li;
  let mine = p.pos0 + min(i, p.tq - 1u);
  let last = p.pos0 + min(wg.x * ROWS + ROWS - 1u, p.tq - 1u);
  let q_x = p.q_x + h * HD4;
  let k_x = p.k_x + (h / GROUP) * HD4;
  let v_x = p.v_x + (h / GROUP) * HD4;
  var qs: array<vec4<f32>, HD4>;
  var acc: array<vec4<f32>, HD4>;
  for (var c = 0u; c < HD4; c++) {
    qs[c] = textureLoad(qkv, vec2(q_x + c, mine), b) * p.scale;
  }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = 0u; j <= last; j++) {
    var s = 0.0;
    for (var c = 0u; c < HD4; c++) {
      s += dot(qs[c], textureLoad(qkv, vec2(k_x + c, j), b));
    }
    let visible = j <= mine;
    if (visible && s > m) {
      let correction = exp(m - s);
      l *= correction;
      for (var c = 0u; c < HD4; c++) {
        acc[c] *= correction;
      }
      m = s;
    }
    let weight = select(0.0, exp(s - m), visible);
    l += weight;
    for (var c = 0u; c < HD4; c++) {
      acc[c] += weight * textureLoad(qkv, vec2(v_x + c, j), b);
    }
  }
  if (i < p.tq) {
    let o_base = (b * p.tq + i) * (HEADS * HD) + h * HD;
    let inv = 1.0 / l;
    for (var c = 0u; c < HD4; c++) {
      let o = acc[c] * inv;
      out[o_base + c * 4u] = o.x;
      out[o_base + c * 4u + 1u] = o.y;
      out[o_base + c * 4u + 2u] = o.z;
      out[o_base + c * 4u + 3u] = o.w;
    }
    lse[(b * HEADS + h) * p.tq + i] = m + log(l);
  }
}
