// Per-row statistics for the attention backward pass, attention_stats.wgsl reading dout and out from
// flat texture copies (flat_texture.ts) instead of the storage buffers, for CPU rasterisers, where a
// storage-texture load costs a fraction of a scalarised storage-buffer load. Texel (stats_x + h, i,
// layer b) = (lse[b, h, i], D[b, h, i], 0, 0) with D = Σ_e dout[b·T + i, h·HD + e] · out[b·T + i, h·HD + e]
// summed one element at a time in increasing e, as in attention_stats.wgsl (bit-identical results).
// dout, out: [B·T, HEADS·HD] row-major (HD a multiple of 4); lse: [B, HEADS, T]. One (b, h, i) per
// invocation, linear index folded (grid.ts). Constants: HD, HEADS.

struct Params {
  t: u32,
  count: u32, // B·HEADS·T
  stats_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dout: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var out: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var grad: texture_storage_2d_array<rgba32float, write>;

// vec4 number n of the flat texture copies (flat_texture.ts).
fn load_dout(n: u32) -> vec4<f32> {
  let fw = textureDimensions(dout).x;
  return textureLoad(dout, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

fn load_out(n: u32) -> vec4<f32> {
  let fw = textureDimensions(out).x;
  return textureLoad(out, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
}

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
  for (var e = 0u; e < HD / 4u; e++) {
    let a = load_dout(base / 4u + e);
    let o = load_out(base / 4u + e);
    d += a.x * o.x;
    d += a.y * o.y;
    d += a.z * o.z;
    d += a.w * o.w;
  }
  textureStore(grad, vec2(p.stats_x + h, i), b, vec4(lse[n], d, 0.0, 0.0));
}
