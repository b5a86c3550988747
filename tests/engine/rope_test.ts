import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { rope, ropeScalar, ropeVec4Aligned } from "../../engine/kernels/rope.ts";
import { ropeTable } from "../../engine/kernels/rope_table.ts";
import { ropeBackward, ropeForward, ropeTables } from "../../engine/reference/rope.ts";
import { assertClose, bits, dispatched, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
// One rotation in f32 with f32-rounded cos/sin of f64 angles.
const TOL = { atol: 2e-6, rtol: 2e-6 };

/** Extracts columns [offset, offset + width) of each row as f64. */
function columns(x: Float32Array, stride: number, offset: number, width: number): Float64Array {
  const rows = x.length / stride, out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) out[r * width + c] = x[r * stride + offset + c];
  }
  return out;
}

Deno.test({
  name: "rope() forward and backward match the f64 HF rotate_half reference inside strided rows",
  ignore: !hasAdapter,
  fn: async () => {
    // (batch, seqLen, heads, headDim, extra columns before and after the heads)
    for (
      const [batch, seqLen, heads, hd, before, after] of [[2, 5, 3, 4, 4, 2], [3, 70, 2, 6, 0, 0], [
        1,
        9,
        1,
        2,
        1,
        3,
      ]]
    ) {
      const stride = before + heads * hd + after, rows = batch * seqLen;
      const host = randomArray(rows * stride, seqLen);
      const table = Tensor.from(gpu!, ropeTable(seqLen, hd, 100));
      const dims = { batch, seqLen, heads, headDim: hd };
      const { cos, sin } = ropeTables(seqLen, hd, 100);
      for (const direction of ["forward", "backward"] as const) {
        const x = Tensor.from(gpu!, host, [rows, stride]);
        rope(x, table, { rows, stride, offset: before, heads, headDim: hd, tq: seqLen, direction });
        const got = await x.read();
        const input = columns(host, stride, before, heads * hd);
        const expected = direction === "forward"
          ? ropeForward(input, cos, sin, dims)
          : ropeBackward(input, cos, sin, dims);
        assertClose(
          columns(got, stride, before, heads * hd),
          expected,
          TOL,
          `${direction} ${batch}×${seqLen}×${heads}×${hd}`,
        );
        assertClose(
          columns(got, stride, 0, before),
          columns(host, stride, 0, before),
          { atol: 0, rtol: 0 },
          "untouched",
        );
      }
    }
  },
});

Deno.test({
  name: "rope() with pos0 rotates a decoding step like the same position of a full sequence",
  ignore: !hasAdapter,
  fn: async () => {
    const [heads, hd, seqLen, pos0] = [2, 8, 12, 9];
    const full = randomArray(seqLen * heads * hd, 5);
    const table = Tensor.from(gpu!, ropeTable(seqLen, hd, 10000));
    const { cos, sin } = ropeTables(seqLen, hd, 10000);
    const expected = ropeForward(Float64Array.from(full), cos, sin, { batch: 1, seqLen, heads, headDim: hd });
    const step = Tensor.from(gpu!, full.slice(pos0 * heads * hd, (pos0 + 1) * heads * hd), [1, heads * hd]);
    rope(step, table, { rows: 1, stride: heads * hd, offset: 0, heads, headDim: hd, tq: 1, pos0 });
    assertClose(await step.read(), expected.slice(pos0 * heads * hd, (pos0 + 1) * heads * hd), TOL, "step");
  },
});

Deno.test({
  name: "rope() takes the vec4 kernel when headDim/2, stride and offset are multiples of 4, bit-identical",
  ignore: !hasAdapter,
  fn: async () => {
    // (batch, seqLen, heads, headDim, columns before and after the heads): rows off the 64-wide
    // workgroup; aligned layouts (incl. the proxy's 32-wide heads in 384-wide qkv rows), then each of
    // half, offset and stride unaligned.
    for (
      const [batch, seqLen, heads, hd, before, after] of [
        [2, 35, 3, 8, 4, 4],
        [1, 67, 8, 32, 0, 128],
        [1, 1, 1, 8, 0, 0],
        [3, 5, 2, 12, 4, 4],
        [2, 35, 3, 8, 2, 2],
        [2, 35, 3, 8, 4, 2],
      ]
    ) {
      const stride = before + heads * hd + after, rows = batch * seqLen;
      const host = randomArray(rows * stride, seqLen + hd);
      const table = Tensor.from(gpu!, ropeTable(seqLen + 3, hd, 100));
      const { cos, sin } = ropeTables(seqLen, hd, 100);
      const dims = { batch, seqLen, heads, headDim: hd };
      const layout = { rows, stride, offset: before, heads, headDim: hd, tq: seqLen };
      const vec4 = ropeVec4Aligned(layout);
      assert.equal(vec4, (hd / 2) % 4 === 0 && stride % 4 === 0 && before % 4 === 0);
      const what = `${batch}×${seqLen}×${heads}×${hd} in ${stride} at ${before}`;
      for (const direction of ["forward", "backward"] as const) {
        for (const pos0 of [0, 3]) {
          const x = Tensor.from(gpu!, host, [rows, stride]), xs = Tensor.from(gpu!, host, [rows, stride]);
          const o = { ...layout, pos0, direction };
          // CPU rasterisers read x and the table from flat texture copies (rope_texture.wgsl).
          const kernel = vec4 ? (gpu!.software ? "rope_texture" : "rope_vec4") : "rope";
          assert.deepEqual(dispatched(gpu!, () => rope(x, table, o)), [kernel]);
          assert.deepEqual(dispatched(gpu!, () => ropeScalar(xs, table, o)), ["rope"]);
          const [got, scalar] = await readTensors(x, xs);
          assert.deepEqual(bits(got), bits(scalar), `${direction} pos0 ${pos0} ${what}`);
          if (pos0 !== 0) continue;
          const input = columns(host, stride, before, heads * hd);
          assertClose(
            columns(got, stride, before, heads * hd),
            direction === "forward"
              ? ropeForward(input, cos, sin, dims)
              : ropeBackward(input, cos, sin, dims),
            TOL,
            `${direction} ${what}`,
          );
          for (const [from, width] of [[0, before], [before + heads * hd, after]]) {
            assert.deepEqual(
              bits(Float32Array.from(columns(got, stride, from, width))),
              bits(Float32Array.from(columns(host, stride, from, width))),
              `untouched ${what}`,
            );
          }
        }
      }
    }
  },
});
