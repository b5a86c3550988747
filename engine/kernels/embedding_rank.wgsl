// Stable counting sort of the embedding backward's keys (embedding_keys.wgsl), without atomics:
//   rank(r) = #{r' : key(r') < key(r)} + #{r' < r : key(r') = key(r)},
//   perm[rank(r)] = r,   sorted[rank(r)] = key(r).
// Ranks are distinct, so every output element is written by exactly one invocation. Each invocation
// scans all keys (O(rows²) comparisons, texture loads at coordinates shared by the workgroup).
// One row per invocation, linear index folded. Constant: KEY_WIDTH.

struct Params {
  rows: u32,
  texels: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var keys: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> sorted: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let r = (wg.y * groups.x + wg.x) * 64u + li;
  let own = min(r, p.rows - 1u);
  let mine = textureLoad(keys, vec2((own / 4u) % KEY_WIDTH, own / 4u / KEY_WIDTH), 0)[own % 4u];
  var less = vec4(0u);
  for (var t = 0u; t < p.texels; t++) {
    let k = textureLoad(keys, vec2(t % KEY_WIDTH, t / KEY_WIDTH), 0);
    let index = vec4(t * 4u) + vec4(0u, 1u, 2u, 3u);
    let before = (k < vec4(mine)) | ((k == vec4(mine)) & (index < vec4(own)));
    less += select(vec4(0u), vec4(1u), before);
  }
  if (r < p.rows) {
    let rank = less.x + less.y + less.z + less.w;
    perm[rank] = r;
    sorted[rank] = mine;
  }
}
