// Sort keys for the deterministic embedding backward, four per texel: key(r) = ids[r] when it lies
// in [0, vocab), vocab for an out-of-range id, and vocab + 1 for padding r ≥ rows (exact in f32 for
// vocab < 2²⁴). Texel t = keys 4t .. 4t+3 sits at (t mod KEY_WIDTH, t / KEY_WIDTH), layer 0.
// One texel per invocation, linear index folded. Constant: KEY_WIDTH.

struct Params {
  rows: u32,
  vocab: u32,
  texels: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var keys: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  if (t >= p.texels) {
    return;
  }
  var texel = vec4(f32(p.vocab + 1u));
  for (var c = 0u; c < 4u; c++) {
    let r = t * 4u + c;
    if (r < p.rows) {
      let id = ids[r];
      texel[c] = select(f32(p.vocab), f32(id), id >= 0 && u32(id) < p.vocab);
    }
  }
  textureStore(keys, vec2(t % KEY_WIDTH, t / KEY_WIDTH), 0, texel);
}
