import assert from "node:assert/strict";
import {
  DEFAULT_TILED_CONFIG,
  type GemmFamily,
  gemmTile,
  gemmVec4Aligned,
  matmul,
  matmulCpu,
  type MatmulOptions,
  matmulSoftware,
  readTensors,
  resolveGemm,
  Tensor,
  type TiledConfig,
  tiledConfigFor,
} from "../../engine/mod.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs: storage textures readable in WGSL for the software family (checked by acquireDevice), 16 KiB
// of workgroup memory and 256 invocations for the tiled family's default config (engine minimums).
const gpu = hasAdapter ? await testGpu() : null;
const FAMILIES: GemmFamily[] = ["software", "tiled"];
const TOL = { atol: 2e-5, rtol: 1e-4 };

interface Case {
  a: [number[], number];
  b: [number[], number];
  c: [number[], number];
  options: MatmulOptions;
}

/** Runs one GEMM on the GPU and on the CPU from the same seeded inputs and compares them. */
async function check(family: GemmFamily, { a, b, c, options }: Case, what: string): Promise<void> {
  const [hostA, hostB, hostC] = [a, b, c].map(([shape, seed]) =>
    randomArray(shape.reduce((p, d) => p * d, 1), seed)
  );
  const ta = Tensor.from(gpu!, hostA, a[0]),
    tb = Tensor.from(gpu!, hostB, b[0]),
    tc = Tensor.from(gpu!, hostC, c[0]);
  matmul(ta, tb, tc, { ...options, family });
  const got = await tc.read();
  const expected = hostC.slice();
  matmulCpu(hostA, hostB, expected, resolveGemm(ta, tb, tc, options));
  const k = resolveGemm(ta, tb, tc, options).k;
  assertClose(got, expected, { atol: TOL.atol * Math.sqrt(k + 1), rtol: TOL.rtol }, `${family} ${what}`);
  for (const t of [ta, tb, tc]) t.destroy();
}

function plain(m: number, n: number, k: number, transA: boolean, transB: boolean, alpha = 1, beta = 0): Case {
  return {
    a: [transA ? [k, m] : [m, k], 1],
    b: [transB ? [n, k] : [k, n], 2],
    c: [[m, n], 3],
    options: { transA, transB, alpha, beta },
  };
}

for (const family of FAMILIES) {
  Deno.test({
    name: `matmul() ${family} matches the CPU reference for NN, NT, TN, TT with α and β`,
    ignore: !hasAdapter,
    fn: async () => {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
        await check(family, plain(70, 130, 37, ta, tb, 0.5, 2), `70×130×37 trans ${ta}/${tb}`);
      }
    },
  });

  Deno.test({
    name: `matmul() ${family} handles shapes off the tile grid and K not a multiple of 4`,
    ignore: !hasAdapter,
    fn: async () => {
      for (
        const [m, n, k] of [[1, 1, 1], [5, 7, 3], [64, 128, 64], [65, 129, 66], [3, 200, 130], [128, 256, 8]]
      ) {
        await check(family, plain(m, n, k, false, false), `${m}×${n}×${k} NN`);
        await check(family, plain(m, n, k, true, true, -1.5, 0.25), `${m}×${n}×${k} TT`);
      }
    },
  });

  Deno.test({
    name: `matmul() ${family} runs batched products with broadcast and strided operands`,
    ignore: !hasAdapter,
    fn: async () => {
      // A batched [3, 20, 33], B broadcast [33, 18], C [3, 20, 18].
      await check(family, {
        a: [[3, 20, 33], 4],
        b: [[33, 18], 5],
        c: [[3, 20, 18], 6],
        options: { beta: 1 },
      }, "batched A, broadcast B");
      // Attention scores per head: Q, K are [T, H·D]; S_h = Q_h · K_hᵀ (lda = ldb = H·D, head stride D).
      const T = 24, H = 3, D = 12;
      await check(family, {
        a: [[T, H * D], 7],
        b: [[T, H * D], 8],
        c: [[H, T, T], 9],
        options: {
          m: T,
          n: T,
          k: D,
          batch: H,
          transB: true,
          lda: H * D,
          ldb: H * D,
          strideA: D,
          strideB: D,
          strideC: T * T,
          alpha: 1 / Math.sqrt(D),
        },
      }, "per-head Q·Kᵀ");
      // Offsets and a wider ldc: write a 10×6 block at row 2, column 3 of a 16×12 matrix.
      await check(family, {
        a: [[40, 9], 10],
        b: [[9, 6], 11],
        c: [[16, 12], 12],
        options: { m: 10, n: 6, k: 9, offsetA: 45, ldc: 12, offsetC: 2 * 12 + 3, beta: -1 },
      }, "offsets and ldc");
    },
  });

  Deno.test({
    name: `matmul() ${family} ignores NaN in C when β = 0 and scales C when k = 0`,
    ignore: !hasAdapter,
    fn: async () => {
      const a = Tensor.from(gpu!, randomArray(12, 1), [3, 4]);
      const b = Tensor.from(gpu!, randomArray(20, 2), [4, 5]);
      const c = Tensor.from(gpu!, new Float32Array(15).fill(NaN), [3, 5]);
      matmul(a, b, c, { family });
      assert.ok((await c.read()).every(Number.isFinite));
      const empty = Tensor.zeros(gpu!, [3, 0]), emptyB = Tensor.zeros(gpu!, [0, 5]);
      c.write(new Float32Array(15).fill(2));
      matmul(empty, emptyB, c, { family, beta: 0.5 });
      assert.deepEqual([...await c.read()], new Array(15).fill(1));
    },
  });

  Deno.test({
    name: `matmul() ${family} gives bit-identical results on repeated runs`,
    ignore: !hasAdapter,
    fn: async () => {
      const a = Tensor.from(gpu!, randomArray(100 * 300, 1), [100, 300]);
      const b = Tensor.from(gpu!, randomArray(300 * 70, 2), [300, 70]);
      const c1 = Tensor.zeros(gpu!, [100, 70]), c2 = Tensor.zeros(gpu!, [100, 70]);
      matmul(a, b, c1, { family });
      matmul(a, b, c2, { family });
      const [x, y] = [await c1.read(), await c2.read()];
      assert.deepEqual(new Uint32Array(x.buffer), new Uint32Array(y.buffer));
    },
  });
}

Deno.test({
  name: "matmul() software writes C as vec4 when n, ldc and offsets are multiples of 4, bit-identical",
  ignore: !hasAdapter,
  fn: async () => {
    assert.equal(gemmVec4Aligned({ n: 64, ldc: 64, offsetC: 0, strideC: 0 }), true);
    assert.equal(gemmVec4Aligned({ n: 64, ldc: 66, offsetC: 0, strideC: 0 }), false);
    assert.equal(gemmVec4Aligned({ n: 70, ldc: 72, offsetC: 0, strideC: 0 }), false);
    // Every operand layout, with and without β, off the tile grid, batched, and a column block of a
    // wider C (ldc > n, offset): the vec4 kernel must reproduce the scalar kernel's bits.
    const cases: Case[] = [
      ...[[false, false], [false, true], [true, false], [true, true]].flatMap(([ta, tb]) => [
        plain(70, 64, 203, ta, tb),
        plain(130, 100, 37, ta, tb, 0.5, 1),
      ]),
      {
        a: [[3, 20, 12], 1],
        b: [[12, 24], 2],
        c: [[3, 20, 24], 3],
        options: { beta: 0.25 },
      },
      {
        a: [[20, 12], 1],
        b: [[12, 8], 2],
        c: [[20, 32], 3],
        options: { m: 20, n: 8, k: 12, ldc: 32, offsetC: 12, beta: 1 },
      },
    ];
    for (const [i, { a, b, c, options }] of cases.entries()) {
      const [hostA, hostB, hostC] = [a, b, c].map(([shape, seed]) =>
        randomArray(shape.reduce((p, d) => p * d, 1), seed)
      );
      const ta = Tensor.from(gpu!, hostA, a[0]), tb = Tensor.from(gpu!, hostB, b[0]);
      const [c1, c2] = [0, 1].map(() => Tensor.from(gpu!, hostC, c[0]));
      const spec = resolveGemm(ta, tb, c1, options);
      assert.equal(gemmVec4Aligned(spec), true, `case ${i} aligned`);
      matmulSoftware(gpu!, ta.buffer, tb.buffer, c1.buffer, spec);
      matmulSoftware(gpu!, ta.buffer, tb.buffer, c2.buffer, spec, { vec4: false });
      const [x, y] = await readTensors(c1, c2) as Float32Array[];
      assert.deepEqual(new Uint32Array(x.buffer), new Uint32Array(y.buffer), `case ${i}`);
      for (const t of [ta, tb, c1, c2]) t.destroy();
    }
  },
});

Deno.test({
  name: "matmul() software reads A stored either way (A_ROWS or K-major texture) with bit-identical results",
  ignore: !hasAdapter,
  fn: async () => {
    // The same op(A) stored as [m, k] (copied as is, m texture rows) and as its transpose [k, m] (K-major
    // texture, transposed 4 × 4 in the kernel): both sum over k in the same order, so the bits agree.
    // Off the tile grid, with β, and K across two texture chunks.
    for (const [m, n, k, tb] of [[70, 130, 37, false], [129, 64, 203, true], [9, 20, 4100, false]] as const) {
      const hostA = randomArray(m * k, 1), hostB = randomArray(n * k, 2), hostC = randomArray(m * n, 3);
      const stored = new Float32Array(m * k);
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) stored[j * m + i] = hostA[i * k + j];
      const rows = Tensor.from(gpu!, hostA, [m, k]), cols = Tensor.from(gpu!, stored, [k, m]);
      const b = Tensor.from(gpu!, hostB, tb ? [n, k] : [k, n]);
      const [c1, c2] = [0, 1].map(() => Tensor.from(gpu!, hostC, [m, n]));
      matmul(rows, b, c1, { transB: tb, alpha: 0.75, beta: 0.5, family: "software" });
      matmul(cols, b, c2, { transA: true, transB: tb, alpha: 0.75, beta: 0.5, family: "software" });
      const [x, y] = await readTensors(c1, c2) as Float32Array[];
      assert.deepEqual(new Uint32Array(x.buffer), new Uint32Array(y.buffer), `${m}×${n}×${k}`);
      const expected = hostC.slice();
      matmulCpu(hostA, hostB, expected, resolveGemm(rows, b, c1, { transB: tb, alpha: 0.75, beta: 0.5 }));
      assertClose(
        x,
        expected,
        { atol: TOL.atol * Math.sqrt(k + 1), rtol: TOL.rtol },
        `${m}×${n}×${k} vs CPU`,
      );
      for (const t of [rows, cols, b, c1, c2]) t.destroy();
    }
  },
});

Deno.test({
  name:
    "matmul() software gives bit-identical results whatever the workgroup tile, and picks the one padding n least",
  ignore: !hasAdapter,
  fn: async () => {
    const cols = (m: number, n: number) => gemmTile(m, n).cols;
    assert.deepEqual([cols(5120, 64), cols(5120, 192), cols(5120, 128), cols(5120, 384), cols(100, 200)], [
      64,
      64,
      128,
      128,
      128,
    ]);
    for (const bad of [{ rows: 64, cols: 40 }, { rows: 16, cols: 16 }]) {
      assert.throws(() => matmulSoftware(gpu!, null!, null!, null!, null!, { tile: bad }), /multiples of 16/);
    }
    // Each tile against the CPU reference and against the others bit for bit: vec4 and scalar C,
    // both A layouts, off the tile grid, and a batched product.
    const tiles = [[64, 128], [64, 64], [128, 64], [32, 64], [128, 128]].map(([rows, cols]) => ({
      rows,
      cols,
    }));
    const cases: Case[] = [
      plain(70, 64, 203, false, true, 0.5, 1),
      plain(130, 100, 37, true, false),
      plain(200, 192, 64, false, false),
      plain(65, 129, 66, true, true, -1.5, 0.25),
      { a: [[3, 20, 12], 1], b: [[12, 24], 2], c: [[3, 20, 24], 3], options: { beta: 0.25 } },
    ];
    for (const [i, { a, b, c, options }] of cases.entries()) {
      const [hostA, hostB, hostC] = [a, b, c].map(([shape, seed]) =>
        randomArray(shape.reduce((p, d) => p * d, 1), seed)
      );
      const ta = Tensor.from(gpu!, hostA, a[0]), tb = Tensor.from(gpu!, hostB, b[0]);
      const outs = tiles.map(() => Tensor.from(gpu!, hostC, c[0]));
      const spec = resolveGemm(ta, tb, outs[0], options);
      tiles.forEach((tile, t) => matmulSoftware(gpu!, ta.buffer, tb.buffer, outs[t].buffer, spec, { tile }));
      const got = await readTensors(...outs) as Float32Array[];
      const expected = hostC.slice();
      matmulCpu(hostA, hostB, expected, spec);
      assertClose(got[0], expected, { atol: TOL.atol * Math.sqrt(spec.k + 1), rtol: TOL.rtol }, `case ${i}`);
      for (let t = 1; t < tiles.length; t++) {
        assert.deepEqual(
          new Uint32Array(got[t].buffer),
          new Uint32Array(got[0].buffer),
          `case ${i} ${JSON.stringify(tiles[t])}`,
        );
      }
      for (const t of [ta, tb, ...outs]) t.destroy();
    }
  },
});

Deno.test({
  name:
    "matmul() software reads A in place from a flat copy, or packs it from a flat copy or the buffer: same bits",
  ignore: !hasAdapter,
  fn: async () => {
    // Operands a plain copy cannot bring into a texture: rows not 256-byte aligned (the 1200-wide
    // logits gradient, n = 100), K padding (k = 36, 12), a batch stride, a column block at an offset;
    // every layout. By default A is read in place from a flat copy where the chunk needs no K padding
    // (A_FLAT) and packed otherwise (from a flat copy where 16-byte aligned); forcing either pack kernel
    // (which also replaces the plain copies) must give the same bits. Unaligned operands cannot take
    // the flat copy.
    const cases: Case[] = [
      plain(40, 64, 1200, false, false),
      plain(40, 1200, 64, false, false),
      plain(1200, 64, 72, true, false, 0.5, 1),
      plain(70, 100, 36, false, true),
      plain(36, 48, 1200, true, true),
      { a: [[3, 20, 12], 1], b: [[3, 12, 100], 2], c: [[3, 20, 100], 3], options: { beta: 0.25 } },
      { a: [[3, 16, 40], 1], b: [[40, 24], 2], c: [[3, 16, 24], 3], options: {} },
      {
        a: [[20, 16], 1],
        b: [[16, 40], 2],
        c: [[20, 8], 3],
        options: { m: 20, n: 8, k: 12, ldb: 40, offsetB: 24, lda: 16, offsetA: 4 },
      },
    ];
    // Counts the dispatches that read A in place.
    let inPlace = 0;
    const dispatch = gpu!.dispatch;
    gpu!.dispatch = (kernel, request) => {
      if (request.constants?.A_FLAT === true) inPlace++;
      return dispatch.call(gpu!, kernel, request);
    };
    try {
      for (const [i, { a, b, c, options }] of cases.entries()) {
        const [hostA, hostB, hostC] = [a, b, c].map(([shape, seed]) =>
          randomArray(shape.reduce((p, d) => p * d, 1), seed)
        );
        const ta = Tensor.from(gpu!, hostA, a[0]), tb = Tensor.from(gpu!, hostB, b[0]);
        const outs = [0, 1, 2].map(() => Tensor.from(gpu!, hostC, c[0]));
        const spec = resolveGemm(ta, tb, outs[0], options);
        matmulSoftware(gpu!, ta.buffer, tb.buffer, outs[0].buffer, spec);
        matmulSoftware(gpu!, ta.buffer, tb.buffer, outs[1].buffer, spec, { pack: "texture" });
        matmulSoftware(gpu!, ta.buffer, tb.buffer, outs[2].buffer, spec, { pack: "buffer" });
        const got = await readTensors(...outs) as Float32Array[];
        const expected = hostC.slice();
        matmulCpu(hostA, hostB, expected, spec);
        assertClose(
          got[0],
          expected,
          { atol: TOL.atol * Math.sqrt(spec.k + 1), rtol: TOL.rtol },
          `case ${i}`,
        );
        for (const t of [1, 2]) {
          assert.deepEqual(
            new Uint32Array(got[t].buffer),
            new Uint32Array(got[0].buffer),
            `case ${i} pack ${t}`,
          );
        }
        for (const t of [ta, tb, ...outs]) t.destroy();
      }
    } finally {
      gpu!.dispatch = dispatch;
    }
    // A read in place: 1200 wide as stored and K-major, 36 wide K-major, and the batched 40-wide one.
    assert.equal(inPlace, 4);
    const a = Tensor.zeros(gpu!, [5, 37]), b = Tensor.zeros(gpu!, [37, 8]), c = Tensor.zeros(gpu!, [5, 8]);
    assert.throws(
      () => matmulSoftware(gpu!, a.buffer, b.buffer, c.buffer, resolveGemm(a, b, c), { pack: "texture" }),
      /multiples of 4 floats, got offset 0, ld 37/,
    );
    for (const t of [a, b, c]) t.destroy();
  },
});

Deno.test({
  name: "matmul() software family accumulates over K chunks longer than one texture",
  ignore: !hasAdapter,
  fn: async () => {
    // k = 4100 spans two K chunks (4096 + 4): the second accumulates with β = 1.
    await check("software", plain(9, 20, 4100, false, true, 1, 0.5), "9×20×4100 NT");
  },
});

Deno.test({
  name: "matmul() tiled tile configurations give bit-identical results (each output sums over k in order)",
  ignore: !hasAdapter,
  fn: async () => {
    // The per-vendor choice (tiledConfigFor) changes speed only: every configuration, including the
    // one chosen for NVIDIA, must reproduce the default's bits off the tile grid and across K steps.
    const nvidia = tiledConfigFor({
      vendor: "4318",
      architecture: "",
      device: "",
      description: "",
      isFallbackAdapter: false,
    });
    const configs: TiledConfig[] = [
      nvidia,
      { tileM: 32, tileN: 64, tileK: 16, threadM: 2, threadN: 4 },
      { tileM: 128, tileN: 64, tileK: 8, threadM: 8, threadN: 4 },
    ];
    const [m, n, k] = [77, 133, 101];
    for (const [transA, transB] of [[false, false], [false, true], [true, false]]) {
      const a = Tensor.from(gpu!, randomArray(m * k, 1), transA ? [k, m] : [m, k]);
      const b = Tensor.from(gpu!, randomArray(k * n, 2), transB ? [n, k] : [k, n]);
      const outputs = [DEFAULT_TILED_CONFIG, ...configs].map((tiled) => {
        const c = Tensor.zeros(gpu!, [m, n]);
        matmul(a, b, c, { transA, transB, family: "tiled", tiled });
        return c;
      });
      const [first, ...rest] = await readTensors(...outputs);
      for (const [i, other] of rest.entries()) {
        assert.deepEqual(
          new Uint32Array(other.buffer),
          new Uint32Array(first.buffer),
          `config ${JSON.stringify(configs[i])} trans ${transA}/${transB}`,
        );
      }
      for (const t of [a, b, ...outputs]) t.destroy();
    }
  },
});

Deno.test("tiledConfigFor() picks the measured configuration by vendor name or PCI id, else the default", () => {
  const info = (vendor: string) => ({
    vendor,
    architecture: "",
    device: "",
    description: "",
    isFallbackAdapter: false,
  });
  const nvidia = tiledConfigFor(info("nvidia"));
  assert.notDeepEqual(nvidia, DEFAULT_TILED_CONFIG);
  assert.deepEqual(tiledConfigFor(info("4318")), nvidia);
  assert.deepEqual(tiledConfigFor(info("0x10DE")), nvidia);
  assert.deepEqual(tiledConfigFor(info("amd")), DEFAULT_TILED_CONFIG);
  assert.deepEqual(tiledConfigFor(info("")), DEFAULT_TILED_CONFIG);
  if (gpu) assert.deepEqual(gpu.tiledConfig, tiledConfigFor(gpu.adapterInfo));
});

Deno.test({
  name: "matmul() rejects inconsistent shapes, aliasing and out-of-bounds strides",
  ignore: !hasAdapter,
  fn: () => {
    const a = Tensor.zeros(gpu!, [4, 3]), b = Tensor.zeros(gpu!, [5, 3]), c = Tensor.zeros(gpu!, [4, 5]);
    assert.throws(() => matmul(a, b, c), /inner dimensions differ/);
    assert.throws(() => matmul(a, b, a, { transB: true }), /must not share a buffer/);
    assert.throws(
      () => matmul(a, b, c, { transB: true, ldc: 6 }),
      /C is accessed up to element 22 but has 20/,
    );
    assert.throws(() => matmul(a, b, c, { m: 4, n: 5 }), /give m, n and k together/);
  },
});
