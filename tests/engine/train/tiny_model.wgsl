// Forward and backward of the test stand-in model, serially in one invocation (tiny sizes only):
//   h = embed[id] ⊙ gain,  logits = embed · h  (tied output head),  CE against the label,
//   loss = Σ_n w[n]·CE[n] over positions with label ≥ 0; grads OVERWRITTEN with d loss / dθ.
// embed: f32 [V, D] row-major, gain: f32 [D]; V and D are host constants. Fixed summation order.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> embed: array<f32>;
@group(0) @binding(5) var<storage, read> gain: array<f32>;
@group(0) @binding(6) var<storage, read_write> g_embed: array<f32>;
@group(0) @binding(7) var<storage, read_write> g_gain: array<f32>;
@group(0) @binding(8) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(1)
fn main() {
  for (var i = 0u; i < u32(V * D); i++) {
    g_embed[i] = 0.0;
  }
  for (var d = 0u; d < u32(D); d++) {
    g_gain[d] = 0.0;
  }
  var total = 0.0;
  for (var n = 0u; n < p.count; n++) {
    let y = labels[n];
    if (y < 0) {
      continue;
    }
    let w = weights[n];
    let x = u32(ids[n]);
    var h = array<f32, D>();
    for (var d = 0u; d < u32(D); d++) {
      h[d] = embed[x * u32(D) + d] * gain[d];
    }
    var logits = array<f32, V>();
    var top = -3.0e38;
    for (var v = 0u; v < u32(V); v++) {
      var s = 0.0;
      for (var d = 0u; d < u32(D); d++) {
        s += h[d] * embed[v * u32(D) + d];
      }
      logits[v] = s;
      top = max(top, s);
    }
    var z = 0.0;
    for (var v = 0u; v < u32(V); v++) {
      z += exp(logits[v] - top);
    }
    let lse = top + log(z);
    total += w * (lse - logits[u32(y)]);
    var dh = array<f32, D>();
    for (var v = 0u; v < u32(V); v++) {
      var dl = w * exp(logits[v] - lse);
      if (v == u32(y)) {
        dl -= w;
      }
      for (var d = 0u; d < u32(D); d++) {
        g_embed[v * u32(D) + d] += dl * h[d];
        dh[d] += dl * embed[v * u32(D) + d];
      }
    }
    for (var d = 0u; d < u32(D); d++) {
      g_gain[d] += dh[d] * embed[x * u32(D) + d];
      g_embed[x * u32(D) + d] += dh[d] * gain[d];
    }
  }
  loss[0] = total;
}
