import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { attention, attentionRows } from "../../engine/kernels/attention.ts";
import { attentionBackward, gradTextureTexels } from "../../engine/kernels/attention_backward.ts";
import { createAttentionTexture } from "../../engine/kernels/attention_texture.ts";
import { packRows } from "../../engine/kernels/texture_pack.ts";
import { attentionBackward as backwardRef, attentionForward } from "../../engine/reference/attention.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs read-only storage textures (checked by acquireDevice for the software GEMM family) and the
// default texture limits (T ≤ 8192 rows, B ≤ 256 layers).
const gpu = hasAdapter ? await testGpu() : null;
// f32 online softmax and fixed-order sums over ≤ 130 keys against f64.
const TOL = { atol: 1e-5, rtol: 1e-4 };

interface Case {
  batch: number;
  seqLen: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

/** Splits fused q | k | v rows into the reference's separate f64 arrays (and back). */
function split({ batch, seqLen, heads, kvHeads, headDim }: Case, qkv: ArrayLike<number>) {
  const qw = heads * headDim, kw = kvHeads * headDim, width = qw + 2 * kw, rows = batch * seqLen;
  const q = new Float64Array(rows * qw), k = new Float64Array(rows * kw), v = new Float64Array(rows * kw);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      const x = qkv[r * width + c];
      if (c < qw) q[r * qw + c] = x;
      else if (c < qw + kw) k[r * kw + c - qw] = x;
      else v[r * kw + c - qw - kw] = x;
    }
  }
  return {
    q,
    k,
    v,
    fuse: (dq: Float64Array, dk: Float64Array, dv: Float64Array) => {
      const out = new Float64Array(rows * width);
      for (let r = 0; r < rows; r++) {
        out.set(dq.subarray(r * qw, (r + 1) * qw), r * width);
        out.set(dk.subarray(r * kw, (r + 1) * kw), r * width + qw);
        out.set(dv.subarray(r * kw, (r + 1) * kw), r * width + qw + kw);
      }
      return out;
    },
  };
}

async function run(
  c: Case,
  seed: number,
  rowsPerWorkgroup?: number,
  statsBuffers?: boolean,
  rowsPerInvocation?: number,
) {
  const { batch, seqLen, heads, kvHeads, headDim } = c;
  const width = (heads + 2 * kvHeads) * headDim, rows = batch * seqLen;
  const host = randomArray(rows * width, seed), dOutHost = randomArray(rows * heads * headDim, seed + 1);
  const qkv = Tensor.from(gpu!, host, [rows, width]);
  const texture = createAttentionTexture(gpu!, width / 4, seqLen, batch, "qkv");
  const grad = createAttentionTexture(gpu!, gradTextureTexels(heads, headDim), seqLen, batch, "grad");
  const out = Tensor.zeros(gpu!, [rows, heads * headDim]), lse = Tensor.zeros(gpu!, [batch * heads * seqLen]);
  const dqkv = Tensor.zeros(gpu!, [rows, width]);
  const layout = {
    batch,
    heads,
    kvHeads,
    headDim,
    qColumn: 0,
    kColumn: heads * headDim,
    vColumn: (heads + kvHeads) * headDim,
    rowsPerWorkgroup,
    rowsPerInvocation,
  };
  packRows(qkv, texture, { layers: batch, tq: seqLen });
  attention(texture, out, lse, { ...layout, tq: seqLen });
  const dOut = Tensor.from(gpu!, dOutHost, [rows, heads * headDim]);
  attentionBackward(texture, grad, dOut, out, lse, dqkv, { ...layout, seqLen, stride: width, statsBuffers });
  const [gotOut, gotDqkv] = await readTensors(out, dqkv);
  for (const t of [qkv, out, lse, dqkv, dOut]) t.destroy();
  texture.texture.destroy();
  grad.texture.destroy();
  return { host, dOutHost, gotOut, gotDqkv };
}

// The f64 reference backward is checked against central finite differences in
// tests/engine/reference/attention_test.ts.
Deno.test({
  name: "attention() and attentionBackward() match the f64 reference with grouped-query heads",
  ignore: !hasAdapter,
  fn: async () => {
    const cases: Case[] = [
      { batch: 2, seqLen: 5, heads: 2, kvHeads: 1, headDim: 4 },
      { batch: 3, seqLen: 70, heads: 4, kvHeads: 2, headDim: 8 }, // rows past one 64-row workgroup
      { batch: 1, seqLen: 9, heads: 3, kvHeads: 3, headDim: 4 }, // rows not 256-byte aligned: pack kernel
      { batch: 2, seqLen: 130, heads: 6, kvHeads: 2, headDim: 12 },
      { batch: 2, seqLen: 37, heads: 2, kvHeads: 1, headDim: 32 }, // the widest four-row heads
    ];
    for (const [index, c] of cases.entries()) {
      // One row per invocation (16-row blocks) and four (32-row blocks, heads ≤ 32 wide), on any adapter.
      for (const [rows, perLane] of [[16, 1], [32, 4]]) {
        const { host, dOutHost, gotOut, gotDqkv } = await run(c, index + 1, rows, undefined, perLane);
        const { q, k, v, fuse } = split(c, host);
        const ref = attentionForward(q, k, v, c);
        const grads = backwardRef(q, k, v, ref.probs, Float64Array.from(dOutHost), c);
        const what = `B${c.batch} T${c.seqLen} H${c.heads} KV${c.kvHeads} hd${c.headDim}, ${perLane} rows`;
        assertClose(gotOut, ref.out, TOL, `out ${what}`);
        assertClose(gotDqkv, fuse(grads.dq, grads.dk, grads.dv), TOL, `dq, dk, dv ${what}`);
      }
    }
  },
});

Deno.test({
  name: "attention() with a cache texture and pos0 gives the full sequence's last rows",
  ignore: !hasAdapter,
  fn: async () => {
    const c = { batch: 2, seqLen: 11, heads: 4, kvHeads: 2, headDim: 4 };
    const width = (c.heads + 2 * c.kvHeads) * c.headDim, pos0 = 8, tq = c.seqLen - pos0;
    const host = randomArray(c.batch * c.seqLen * width, 7);
    const cache = createAttentionTexture(gpu!, width / 4, 16, c.batch, "cache");
    const layout = {
      ...c,
      qColumn: 0,
      kColumn: c.heads * c.headDim,
      vColumn: (c.heads + c.kvHeads) * c.headDim,
    };
    // Prefill rows 0..pos0-1, then append the remaining rows of each sequence at y0 = pos0.
    const prefix = new Float32Array(c.batch * pos0 * width), rest = new Float32Array(c.batch * tq * width);
    for (let b = 0; b < c.batch; b++) {
      prefix.set(host.subarray(b * c.seqLen * width, (b * c.seqLen + pos0) * width), b * pos0 * width);
      rest.set(host.subarray((b * c.seqLen + pos0) * width, (b + 1) * c.seqLen * width), b * tq * width);
    }
    packRows(Tensor.from(gpu!, prefix, [c.batch * pos0, width]), cache, { layers: c.batch, tq: pos0 });
    packRows(Tensor.from(gpu!, rest, [c.batch * tq, width]), cache, { layers: c.batch, tq, y0: pos0 });
    const out = Tensor.zeros(gpu!, [c.batch * tq, c.heads * c.headDim]),
      lse = Tensor.zeros(gpu!, [c.batch * c.heads * tq]);
    attention(cache, out, lse, { ...layout, tq, pos0 });
    const { q, k, v } = split(c, host);
    const ref = attentionForward(q, k, v, c).out;
    const rowWidth = c.heads * c.headDim, expected = new Float64Array(c.batch * tq * rowWidth);
    for (let b = 0; b < c.batch; b++) {
      expected.set(
        ref.subarray((b * c.seqLen + pos0) * rowWidth, (b + 1) * c.seqLen * rowWidth),
        b * tq * rowWidth,
      );
    }
    assertClose(await out.read(), expected, TOL, "cached rows");
  },
});

Deno.test({
  name:
    "attention kernels give bit-identical results for every rows-per-workgroup block and rows per invocation",
  ignore: !hasAdapter,
  fn: async () => {
    // attentionRows() picks 16 on software adapters and 64 elsewhere; masked keys add exactly zero,
    // so the block only changes the work done. Both choices are checked here on any adapter.
    assert.equal(attentionRows(gpu!), gpu!.software ? 16 : 64);
    const c = { batch: 2, seqLen: 130, heads: 4, kvHeads: 2, headDim: 8 };
    const base = await run(c, 5, 64, undefined, 1);
    for (const rows of [16, 8, 1]) {
      const other = await run(c, 5, rows, undefined, 1);
      assert.deepEqual(
        new Uint32Array(other.gotOut.buffer),
        new Uint32Array(base.gotOut.buffer),
        `out, ${rows} rows`,
      );
      assert.deepEqual(
        new Uint32Array(other.gotDqkv.buffer),
        new Uint32Array(base.gotDqkv.buffer),
        `dqkv, ${rows} rows`,
      );
    }
    // Four rows per invocation: each row's arithmetic is the one-row kernel's, whatever the block.
    const four = await run(c, 5, 32, undefined, 4);
    assert.deepEqual(
      new Uint32Array(four.gotOut.buffer),
      new Uint32Array(base.gotOut.buffer),
      "out, 4 per lane",
    );
    assert.deepEqual(
      new Uint32Array(four.gotDqkv.buffer),
      new Uint32Array(base.gotDqkv.buffer),
      "dqkv, 4 per lane",
    );
    for (const rows of [64, 4]) {
      const other = await run(c, 5, rows, undefined, 4);
      assert.deepEqual(new Uint32Array(other.gotOut.buffer), new Uint32Array(four.gotOut.buffer));
      assert.deepEqual(new Uint32Array(other.gotDqkv.buffer), new Uint32Array(four.gotDqkv.buffer));
    }
    // The widest four-row heads (the 35B proxy's 32) and the 7B proxy's 16: same bits as one row.
    for (const headDim of [16, 32]) {
      const w = { batch: 2, seqLen: 45, heads: 4, kvHeads: 2, headDim };
      const one = await run(w, 6, 16, undefined, 1), wide = await run(w, 6, 32, undefined, 4);
      assert.deepEqual(
        new Uint32Array(wide.gotOut.buffer),
        new Uint32Array(one.gotOut.buffer),
        `out, hd ${headDim}`,
      );
      assert.deepEqual(
        new Uint32Array(wide.gotDqkv.buffer),
        new Uint32Array(one.gotDqkv.buffer),
        `dqkv, hd ${headDim}`,
      );
    }
  },
});

Deno.test({
  name: "attentionBackward() statistics from texture copies match the buffer kernel bit for bit",
  ignore: !hasAdapter,
  fn: async () => {
    // CPU rasterisers read dOut and out for D = Σ dout·out from flat texture copies
    // (attention_stats_texture.wgsl); statsBuffers forces the buffer kernel.
    for (
      const c of [{ batch: 2, seqLen: 37, heads: 4, kvHeads: 2, headDim: 8 }, {
        batch: 3,
        seqLen: 20,
        heads: 4,
        kvHeads: 4,
        headDim: 16,
      }]
    ) {
      const texture = await run(c, 9);
      const buffer = await run(c, 9, undefined, true);
      assert.deepEqual(new Uint32Array(texture.gotDqkv.buffer), new Uint32Array(buffer.gotDqkv.buffer));
    }
  },
});

Deno.test({
  name: "attention kernels are bit-identical across runs and reject bad layouts",
  ignore: !hasAdapter,
  fn: async () => {
    const c = { batch: 2, seqLen: 67, heads: 2, kvHeads: 1, headDim: 8 };
    const a = await run(c, 3), b = await run(c, 3);
    assert.deepEqual(new Uint32Array(a.gotDqkv.buffer), new Uint32Array(b.gotDqkv.buffer));
    const texture = createAttentionTexture(gpu!, 4, 4, 1, "small");
    const out = Tensor.zeros(gpu!, [4, 6]), lse = Tensor.zeros(gpu!, [4]);
    const bad = { batch: 1, heads: 1, kvHeads: 1, headDim: 6, qColumn: 0, kColumn: 4, vColumn: 8, tq: 4 };
    assert.throws(() => attention(texture, out, lse, bad), /multiple of 4/);
    const wide = { ...bad, headDim: 36, kColumn: 36, vColumn: 72, rowsPerInvocation: 4 };
    const wideTexture = createAttentionTexture(gpu!, 27, 4, 1, "wide"), wideOut = Tensor.zeros(gpu!, [4, 36]);
    assert.throws(() => attention(wideTexture, wideOut, lse, wide), /headDim ≤ 32/);
    assert.throws(() => attention(wideTexture, wideOut, lse, { ...wide, rowsPerInvocation: 3 }), /1 or 4/);
  },
});
