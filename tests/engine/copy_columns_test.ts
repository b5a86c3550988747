import assert from "node:assert/strict";
import { Tensor } from "../../engine/mod.ts";
import { copyColumnsCpu } from "../../engine/cpu/copy_columns.ts";
import { copyColumns } from "../../engine/kernels/copy_columns.ts";
import { hasAdapter, randomArray, testGpu } from "./support.ts";

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
