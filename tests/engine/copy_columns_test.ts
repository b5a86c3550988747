import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { copyColumnsCpu } from "../../engine/cpu/copy_columns.ts";
import { copyColumns, copyColumnsScalar, copyColumnsVec4Aligned } from "../../engine/kernels/copy_columns.ts";
import { bits, dispatched, hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

Deno.test({
  name: "copyColumns() copies a column block exactly and rejects blocks outside the source",
  ignore: !hasAdapter,
  fn: async () => {
    const src = randomArray(67 * 11, 1);
    const out = Tensor.zeros(gpu!, [67, 5]);
    copyColumns(Tensor.from(gpu!, src, [67, 11]), 3, out);
    assert.deepEqual(await out.read(), copyColumnsCpu(src, 11, 3, 5));
    assert.throws(() => copyColumns(Tensor.zeros(gpu!, [67, 11]), 7, out), /exceed/);
  },
});

Deno.test({
  name: "copyColumns() takes the vec4 kernel when cols, stride and offset are multiples of 4, bit-identical",
  ignore: !hasAdapter,
  fn: async () => {
    // (rows, stride, offset, cols): rows off the 64-wide workgroup; then each of cols, stride, offset unaligned.
    for (
      const [rows, stride, offset, cols] of [
        [67, 12, 4, 8],
        [130, 576, 288, 288],
        [1, 4, 0, 4],
        [67, 12, 4, 6],
        [67, 14, 4, 8],
        [67, 12, 2, 8],
      ]
    ) {
      const src = randomArray(rows * stride, rows + cols);
      const tsrc = Tensor.from(gpu!, src, [rows, stride]);
      const out = Tensor.zeros(gpu!, [rows, cols]), scalar = Tensor.zeros(gpu!, [rows, cols]);
      const vec4 = copyColumnsVec4Aligned(cols, stride, offset);
      assert.equal(vec4, cols % 4 === 0 && stride % 4 === 0 && offset % 4 === 0);
      assert.deepEqual(dispatched(gpu!, () => copyColumns(tsrc, offset, out)), [
        vec4 ? "copy_columns_vec4" : "copy_columns",
      ]);
      assert.deepEqual(dispatched(gpu!, () => copyColumnsScalar(tsrc, offset, scalar)), ["copy_columns"]);
      const [got, ref] = await readTensors(out, scalar);
      const what = `${rows}×${stride} at ${offset} + ${cols}`;
      assert.deepEqual(bits(got), bits(copyColumnsCpu(src, stride, offset, cols)), what);
      assert.deepEqual(bits(got), bits(ref), what);
    }
  },
});
