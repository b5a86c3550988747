// Deterministic partial reduction over the middle axis of a [outer, len, inner] row-major view:
//   out[(o·parts + q)·inner + i] = Σ_r f(x[(o·len + r)·inner + i]),
//   r from q·chunk up to min(len, (q+1)·chunk) − 1,
// accumulated serially in increasing r, so a given input and chunk always give the same bits (no
// atomics, no workgroup trees: barriers are costly on CPU rasterisers). The host chains passes
// (chunk 1024) until one part remains.
// MODE (host constant): 0 sum of x, 1 sum of x², 2 sum of x·y.

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
  chunk: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = (wg.y * groups.x + wg.x) * 64u + li;
  if (t >= p.outer * p.parts * p.inner) {
    return;
  }
  let i = t % p.inner;
  let q = (t / p.inner) % p.parts;
  let o = t / (p.inner * p.parts);
  let start = q * p.chunk;
  let end = min(p.len, start + p.chunk);
  var acc = 0.0;
  for (var r = start; r < end; r++) {
    let idx = (o * p.len + r) * p.inner + i;
    let v = x[idx];
    if (MODE == 0) {
      acc += v;
    } else if (MODE == 1) {
      acc += v * v;
    } else {
      acc += v * y[idx];
    }
  }
  out[t] = acc;
}
