// adamw.wgsl four elements per invocation, reading grad, param and the moments from flat texture
// copies (flat_texture.ts) and writing param and the moments as vec4, for CPU rasterisers, where each
// storage-buffer access is scalarised per lane and a storage-texture load costs a fraction of one. One
// AdamW step (decoupled weight decay, bias correction) on one parameter tensor, PyTorch order:
//   g = grad[i] · clip                      clip = stats[1], the global-norm clip factor (grad_clip.wgsl)
//   m = β1·m + (1 − β1)·g                   m, v: the optimizer's packed moments, element OFFSET + i
//   v = β2·v + (1 − β2)·g²
//   p = p · decay − stepSize · m / (√v · vScale + ε)
// with the same f32 operations per element as adamw.wgsl (bit-identical results). The element count and
// OFFSET are multiples of 4; the flat copies of m and v start at OFFSET. Linear index folded (grid.ts).

struct Params {
  count4: u32, // elements / 4
  offset4: u32, // OFFSET / 4
  beta1: f32,
  beta2: f32,
  decay: f32,
  step_size: f32,
  v_scale: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var grad_t: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var param_t: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(4) var m_t: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(5) var v_t: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(6) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> v: array<vec4<f32>>;

// vec4 number n of a flat texture copy (flat_texture.ts).
fn flat(n: u32, fw: u32) -> vec2<u32> {
  return vec2(n & (fw - 1u), n >> countTrailingZeros(fw));
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.y * groups.x + wg.x) * 64u + li;
  if (i >= p.count4) {
    return;
  }
  let j = p.offset4 + i;
  let g = textureLoad(grad_t, flat(i, textureDimensions(grad_t).x), 0) * stats[1];
  let mi = p.beta1 * textureLoad(m_t, flat(i, textureDimensions(m_t).x), 0) + (1.0 - p.beta1) * g;
  let vi = p.beta2 * textureLoad(v_t, flat(i, textureDimensions(v_t).x), 0) +
    (1.0 - p.beta2) * (g * g);
  m[j] = mi;
  v[j] = vi;
  let denom = sqrt(vi) * p.v_scale + p.eps;
  let old = textureLoad(param_t, flat(i, textureDimensions(param_t).x), 0);
  param[i] = old * p.decay - p.step_size * (mi / denom);
}
