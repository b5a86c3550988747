import { Tensor } from "../../engine/mod.ts";
import { rope } from "../../engine/kernels/rope.ts";
import { ropeTable } from "../../engine/kernels/rope_table.ts";
import { ropeBackward, ropeForward, ropeTables } from "../../engine/reference/rope.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "./support.ts";

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
