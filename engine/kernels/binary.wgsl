// Elementwise binary op with a repeating second operand: out[i] = a[i] OP b[i mod nb].
// OP (host constant): 0 add, 1 subtract, 2 multiply. `nb` divides the element count, so b may be a
// row vector broadcast over the leading dimensions of a (bias, RMSNorm weight). One element per
// invocation, linear index folded over (x, y) workgroups (see grid.ts).

struct Params {
  count: u32,
  nb: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.y * groups.x + wg.x) * 64u + li;
  if (i >= p.count) {
    return;
  }
  let x = a[i];
  let y = b[i % p.nb];
  var r: f32;
  if (OP == 0) {
    r = x + y;
  } else if (OP == 1) {
    r = x - y;
  } else {
    r = x * y;
  }
  out[i] = r;
}
