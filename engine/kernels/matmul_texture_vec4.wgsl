// matmul_texture.wgsl with C read and written as vec4<f32> (see store4), for n, ldc, offset_c and
// stride_c all multiples of 4: on CPU rasterisers each storage access is scalarised per lane, so one
// vec4 access instead of four f32 ones cuts the cost of writing C (and of reading it when β ≠ 0),
// which dominates for small K. Results are bit-identical to matmul_texture.wgsl.
//
// Software-family GEMM (llvmpipe / lavapipe / SwiftShader): C = α·op(A)·op(B) + β·C on operands
// copied into textures.
// On CPU rasterisers each invocation is one SIMD lane and storage-buffer loads are scalarised per
// lane (an order of magnitude slower than storage-texture loads), while workgroup barriers are very
// costly. So this kernel reads both operands from rgba32float textures, keeps an 8-row × 16-column output block per
// invocation in registers (8 rows × 4 vec4), uses no workgroup memory, and advances K by 8 per
// iteration (two texel steps, written out).
//
// Layout: both textures hold K rows, four consecutive m (resp. n) elements per texel:
// a: texel (i4, k) = op(A)[4i4 .. 4i4+3, k], b: texel (j4, k) = op(B)[k, 4j4 .. 4j4+3], zero-padded
// along K to a multiple of 8 (padding along m and n only feeds outputs that are not stored). With K
// as the row index, one K step touches 4 texture rows (pages) for both operands; the host copies or
// transposes (matmul_transpose.wgsl) stored operands into this layout. Transposing a 4×4 block inside
// the kernel is free (SIMD lanes are invocations, so it only renames registers).
// A workgroup (8, 8) covers 64 rows × 128 columns; z is the batch item.

struct Params {
  m: u32, // valid rows of the chunk
  n: u32, // valid columns
  k8: u32, // padded K / 8
  ldc: u32,
  offset_c: u32, // element index of C[0, 0] of the chunk's first batch item
  stride_c: u32,
  layer_a: u32, // 1: one A layer per batch item, 0: A broadcast
  layer_b: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var b: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

// One output row of the block: 16 columns as 4 vec4.
struct Row {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
}

// op(B)[k .. k+3, j .. j+15] as four 4×4 matrices; column t of m_j holds op(B)[k+t, 4j .. 4j+3], so
// m_j · x adds Σ_t x[t] · op(B)[k+t, 4j .. 4j+3].
struct Panel {
  m0: mat4x4<f32>,
  m1: mat4x4<f32>,
  m2: mat4x4<f32>,
  m3: mat4x4<f32>,
}

// Four texels of b starting at (x, y), stepping down (rows) as matrix columns.
fn b_column(x: u32, y: u32, layer: u32) -> mat4x4<f32> {
  return mat4x4<f32>(textureLoad(b, vec2(x, y), layer), textureLoad(b, vec2(x, y + 1u), layer),
                     textureLoad(b, vec2(x, y + 2u), layer), textureLoad(b, vec2(x, y + 3u), layer));
}

fn load_panel(k4: u32, col4: u32, layer: u32) -> Panel {
  let k = k4 * 4u;
  return Panel(b_column(col4, k, layer), b_column(col4 + 1u, k, layer), b_column(col4 + 2u, k, layer),
               b_column(col4 + 3u, k, layer));
}

// op(A)[row .. row+7, 4k4 .. 4k4+3], one vec4 (over k) per row.
struct Rows8 {
  x0: vec4<f32>,
  x1: vec4<f32>,
  x2: vec4<f32>,
  x3: vec4<f32>,
  x4: vec4<f32>,
  x5: vec4<f32>,
  x6: vec4<f32>,
  x7: vec4<f32>,
}

// op(A)[4x .. 4x+3, y .. y+3] as a matrix whose column s is row 4x+s (over k).
fn a_block(x: u32, y: u32, layer: u32) -> mat4x4<f32> {
  let rows = mat4x4<f32>(textureLoad(a, vec2(x, y), layer), textureLoad(a, vec2(x, y + 1u), layer),
                         textureLoad(a, vec2(x, y + 2u), layer), textureLoad(a, vec2(x, y + 3u), layer));
  return transpose(rows);
}

fn load_rows(k4: u32, row: u32, layer: u32) -> Rows8 {
  let lo = a_block(row / 4u, k4 * 4u, layer);
  let hi = a_block(row / 4u + 1u, k4 * 4u, layer);
  return Rows8(lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]);
}

fn step(r: Row, x: vec4<f32>, q: Panel) -> Row {
  return Row(r.c0 + q.m0 * x, r.c1 + q.m1 * x, r.c2 + q.m2 * x, r.c3 + q.m3 * x);
}

// Columns col .. col+3 as one vec4 (n, ldc and the offsets are multiples of 4, so a vec4 is either
// wholly inside the row or wholly past n); the same f32 operations per element as the scalar kernel.
fn store4(v: vec4<f32>, row: u32, col: u32, base: u32) {
  if (col < p.n) {
    let i = (base + row * p.ldc + col) / 4u;
    var value = p.alpha * v;
    if (p.beta != 0.0) {
      value += p.beta * c[i];
    }
    c[i] = value;
  }
}

fn store_row(r: Row, row: u32, col: u32, base: u32) {
  if (row < p.m) {
    store4(r.c0, row, col, base);
    store4(r.c1, row, col + 4u, base);
    store4(r.c2, row, col + 8u, base);
    store4(r.c3, row, col + 12u, base);
  }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let col4 = id.x * 4u;
  let row = id.y * 8u;
  let la = id.z * p.layer_a;
  let lb = id.z * p.layer_b;
  var r0: Row;
  var r1: Row;
  var r2: Row;
  var r3: Row;
  var r4: Row;
  var r5: Row;
  var r6: Row;
  var r7: Row;
  for (var k4 = 0u; k4 < p.k8 * 2u; k4 += 2u) {
    let q0 = load_panel(k4, col4, lb);
    let x0 = load_rows(k4, row, la);
    r0 = step(r0, x0.x0, q0);
    r1 = step(r1, x0.x1, q0);
    r2 = step(r2, x0.x2, q0);
    r3 = step(r3, x0.x3, q0);
    r4 = step(r4, x0.x4, q0);
    r5 = step(r5, x0.x5, q0);
    r6 = step(r6, x0.x6, q0);
    r7 = step(r7, x0.x7, q0);
    let q1 = load_panel(k4 + 1u, col4, lb);
    let x1 = load_rows(k4 + 1u, row, la);
    r0 = step(r0, x1.x0, q1);
    r1 = step(r1, x1.x1, q1);
    r2 = step(r2, x1.x2, q1);
    r3 = step(r3, x1.x3, q1);
    r4 = step(r4, x1.x4, q1);
    r5 = step(r5, x1.x5, q1);
    r6 = step(r6, x1.x6, q1);
    r7 = step(r7, x1.x7, q1);
  }
  let base = p.offset_c + id.z * p.stride_c;
  let col = col4 * 4u;
  store_row(r0, row, col, base);
  store_row(r1, row + 1u, col, base);
  store_row(r2, row + 2u, col, base);
  store_row(r3, row + 3u, col, base);
  store_row(r4, row + 4u, col, base);
  store_row(r5, row + 5u, col, base);
  store_row(r6, row + 6u, col, base);
  store_row(r7, row + 7u, col, base);
}
