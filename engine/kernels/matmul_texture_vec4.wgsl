// matmul_texture.wgsl with C read and written as vec4<f32> (see store4), for n, ldc, offset_c and
// stride_c all multiples of 4: on CPU rasterisers each storage access is scalarised per lane, so one
// vec4 access instead of four f32 ones cuts the cost of writing C (and of reading it when β ≠ 0),
// which dominates for small K. Results are bit-identical to matmul_texture.wgsl.
//
// Software-family GEMM (llvmpipe / lavapipe / SwiftShader): C = α·op(A)·op(B) + β·C on operands
// copied into textures.
// On CPU rasterisers each invocation is one SIMD lane and storage-buffer loads are scalarised per
// lane (an order of magnitude slower than storage-texture loads), while workgroup barriers are very
// costly. So this kernel reads both operands from rgba32float textures, uses no workgroup memory, and
// keeps a 16-row × 16-column output block per invocation (16 rows × 4 vec4). On llvmpipe a texel
// load costs as much as dozens of SIMD multiply-adds, so the block is as large as pays: per K step of
// 4 an invocation loads 16 texels of op(B) and 16 of op(A) for 1024 multiply-adds (the 8 × 16 block
// it replaced loaded 24 for 512). K advances by 4 per iteration, not unrolled (unrolling by 2 kept
// two panels live and measured slower).
//
// Layout of b: K rows, four consecutive n elements per texel: texel (j4, k) = op(B)[k, 4j4 .. 4j4+3].
// Layout of a, by the host-prepended constant A_ROWS:
// - A_ROWS = true: m rows, four consecutive k elements per texel: texel (k4, i) = op(A)[i, 4k4 .. 4k4+3]
//   (a stored A as it is, so a plain copy);
// - A_ROWS = false: K rows, four consecutive m elements per texel: texel (i4, k) = op(A)[4i4 .. 4i4+3, k]
//   (a stored Aᵀ as it is), transposed 4 × 4 in the kernel (free: SIMD lanes are invocations, so a
//   transpose only renames registers).
// Both are zero-padded along K to a multiple of 8 (padding along m and n only feeds outputs that are
// not stored). With the constant A_FLAT, A is instead read in place from a flat texture copy of the stored
// operand (see a_texel), for K chunks that need no padding: rows that no plain copy can bring into a
// texture (e.g. the 1200-wide logits gradient) then need no pack pass; past its last row or column the
// layout reads other elements of the copy, which again only feed outputs that are not stored. Each output sums over k in increasing order, four k at a time as m_j · x below, so the
// two layouts give bit-identical results.
// A workgroup has 8 × WG_Y invocations (host-prepended constants WG_Y and COL_BLOCKS) and covers
// COL_BLOCKS blocks across and 8·WG_Y / COL_BLOCKS down: 64 × 128 outputs for WG_Y = 4, COL_BLOCKS = 8.
// llvmpipe runs 8 consecutive x as one SIMD vector, so the workgroup is always 8 wide in x and a tile
// 64 columns wide (COL_BLOCKS = 4) still fills every lane; z is the batch item.

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
  a_ld4: u32, // A_FLAT: the stored A's row stride / 4
  a_stride4: u32, // A_FLAT: its batch stride / 4
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

// Texel (x, y) of layer `layer` of A's layout; with A_FLAT, of a flat texture copy (flat_texture.ts)
// of the stored operand from the chunk's first element: texel (x, y) of the layout is vec4
// layer·a_stride4 + y·a_ld4 + x of the copy.
fn a_texel(x: u32, y: u32, layer: u32) -> vec4<f32> {
  if (A_FLAT) {
    let n = layer * p.a_stride4 + y * p.a_ld4 + x;
    let fw = textureDimensions(a).x;
    return textureLoad(a, vec2(n & (fw - 1u), n >> countTrailingZeros(fw)), 0);
  }
  return textureLoad(a, vec2(x, y), layer);
}

// op(A)[row .. row+3, 4k4 .. 4k4+3] as a matrix whose column s is row row+s (over k).
fn a_rows(k4: u32, row: u32, layer: u32) -> mat4x4<f32> {
  if (A_ROWS) {
    return mat4x4<f32>(a_texel(k4, row, layer), a_texel(k4, row + 1u, layer), a_texel(k4, row + 2u, layer),
                       a_texel(k4, row + 3u, layer));
  }
  let x = row / 4u;
  let y = k4 * 4u;
  return transpose(mat4x4<f32>(a_texel(x, y, layer), a_texel(x, y + 1u, layer), a_texel(x, y + 2u, layer),
                               a_texel(x, y + 3u, layer)));
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

@compute @workgroup_size(8, WG_Y, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  // Invocation li of the workgroup's 8·WG_Y takes block column li % COL_BLOCKS and block row
  // li / COL_BLOCKS, so the tile is COL_BLOCKS blocks wide and 8·WG_Y / COL_BLOCKS blocks high.
  let col4 = (wg.x * COL_BLOCKS + li % COL_BLOCKS) * 4u;
  let row = (wg.y * (8u * WG_Y / COL_BLOCKS) + li / COL_BLOCKS) * 16u;
  let la = wg.z * p.layer_a;
  let lb = wg.z * p.layer_b;
  var r0: Row;
  var r1: Row;
  var r2: Row;
  var r3: Row;
  var r4: Row;
  var r5: Row;
  var r6: Row;
  var r7: Row;
  var r8: Row;
  var r9: Row;
  var r10: Row;
  var r11: Row;
  var r12: Row;
  var r13: Row;
  var r14: Row;
  var r15: Row;
  for (var k4 = 0u; k4 < p.k8 * 2u; k4++) {
    let q = load_panel(k4, col4, lb);
    let x0 = a_rows(k4, row, la);
    r0 = step(r0, x0[0], q);
    r1 = step(r1, x0[1], q);
    r2 = step(r2, x0[2], q);
    r3 = step(r3, x0[3], q);
    let x1 = a_rows(k4, row + 4u, la);
    r4 = step(r4, x1[0], q);
    r5 = step(r5, x1[1], q);
    r6 = step(r6, x1[2], q);
    r7 = step(r7, x1[3], q);
    let x2 = a_rows(k4, row + 8u, la);
    r8 = step(r8, x2[0], q);
    r9 = step(r9, x2[1], q);
    r10 = step(r10, x2[2], q);
    r11 = step(r11, x2[3], q);
    let x3 = a_rows(k4, row + 12u, la);
    r12 = step(r12, x3[0], q);
    r13 = step(r13, x3[1], q);
    r14 = step(r14, x3[2], q);
    r15 = step(r15, x3[3], q);
  }
  let base = p.offset_c + wg.z * p.stride_c;
  let col = col4 * 4u;
  store_row(r0, row, col, base);
  store_row(r1, row + 1u, col, base);
  store_row(r2, row + 2u, col, base);
  store_row(r3, row + 3u, col, base);
  store_row(r4, row + 4u, col, base);
  store_row(r5, row + 5u, col, base);
  store_row(r6, row + 6u, col, base);
  store_row(r7, row + 7u, col, base);
  store_row(r8, row + 8u, col, base);
  store_row(r9, row + 9u, col, base);
  store_row(r10, row + 10u, col, base);
  store_row(r11, row + 11u, col, base);
  store_row(r12, row + 12u, col, base);
  store_row(r13, row + 13u, col, base);
  store_row(r14, row + 14u, col, base);
  store_row(r15, row + 15u, col, base);
}
