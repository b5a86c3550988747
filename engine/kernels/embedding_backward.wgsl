// Deterministic embedding gradient from the sorted keys (embedding_rank.wgsl):
//   dtable[v, j] = Σ_{r : ids[r] = v} dy[r, j]   (+ dtable[v, j] when ACCUMULATE),
// summed in increasing r: the rows with key v are the contiguous run of `sorted` found by binary
// search, and perm lists them in row order. dy: [rows, dim]; dtable: [vocab, dim] row-major. A
// workgroup covers 64 columns of one vocabulary row v = wg.z·num_workgroups.y + wg.y, so the search
// and the run are the same across the workgroup. Constant: ACCUMULATE.

struct Params {
  rows: u32,
  dim: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> perm: array<u32>;
@group(0) @binding(2) var<storage, read> sorted: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let v = wg.z * groups.y + wg.y;
  let j = wg.x * 64u + li;
  if (v >= p.vocab) {
    return;
  }
  let key = f32(v);
  var lo = 0u;
  var hi = p.rows;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (sorted[mid] < key) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  let column = min(j, p.dim - 1u);
  var acc = 0.0;
  for (var k = lo; k < p.rows; k++) {
    if (sorted[k] != key) {
      break;
    }
    acc += dy[perm[k] * p.dim + column];
  }
  if (j < p.dim) {
    let at = v * p.dim + j;
    if (ACCUMULATE) {
      dtable[at] = acc + dtable[at];
    } else {
      dtable[at] = acc;
    }
  }
}
