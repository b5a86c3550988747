// Second pass of multi_dot.ts: sums the split-K partials in chunk order and stores them with a row
// stride and offset:
//   out[offset_c + i·ldc + j] = Σ_{c < chunks} partial[(c·m + i)·n + j]  (+ out[…] when accumulate ≠ 0).
// One output per invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  m: u32,
  n: u32,
  chunks: u32,
  ldc: u32,
  offset_c: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  if (t >= p.m * p.n) {
    return;
  }
  var sum = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    sum += partial[c * p.m * p.n + t];
  }
  let i = t / p.n;
  let index = p.offset_c + i * p.ldc + t - i * p.n;
  if (p.accumulate != 0u) {
    sum = out[index] + sum;
  }
  out[index] = sum;
}
