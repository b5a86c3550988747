// Global gradient-norm clipping factor from per-tensor sums of squares (one invocation):
//   norm = √(Σ_k sumsq[k]),  summed serially in increasing k (deterministic)
//   clip = min(1, maxNorm / (norm + 1e-6))          as torch.nn.utils.clip_grad_norm_
//   out[0] = norm, out[1] = clip.
// A non-finite norm is kept in out[0] for the host to detect (the clip of NaN is unspecified).

struct Params {
  count: u32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> sumsq: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var acc = 0.0;
  for (var k = 0u; k < p.count; k++) {
    acc += sumsq[k];
  }
  let norm = sqrt(acc);
  out[0] = norm;
  out[1] = min(1.0, p.max_norm / (norm + 1e-6));
}
