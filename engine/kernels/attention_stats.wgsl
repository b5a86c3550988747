// Per-row statistics for the attention backward pass, written into the output-gradient texture:
// texel (stats_x + h, i, layer b) = (lse[b, h, i], D[b, h, i], 0, 0) with
// D = Σ_e dout[b·T + i, h·HD + e] · out[b·T + i, h·HD + e]  (= Σ_j P_ij dP_ij).
// dout, out: [B·T, HEADS·HD] row-major; lse: [B, HEADS, T]. One (b, h, i) per invocation, linear
// index folded (grid.ts). Constants: HD, HEADS.

struct Params {
  t: u32,
  count: u32, // B·HEADS·T
  stats_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var grad: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let n = (wg.y * groups.x + wg.x) * 64u + li;
  if (n >= p.count) {
    return;
  }
  let i = n % p.t;
  let h = (n / p.t) % HEADS;
  let b = n / (p.t * HEADS);
  let base = (b * p.t + i) * (HEADS * HD) + h * HD;
  var d = 0.0;
  for (var e = 0u; e < HD; e++) {
    d += dout[base + e] * out[base + e];
  }
  textureStore(grad, vec2(p.stats_x + h, i), b, vec4(lse[n], d, 0.0, 0.0));
}
