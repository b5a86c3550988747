import assert from "node:assert/strict";
import { Tensor } from "../../engine/mod.ts";
import { argmaxCpu } from "../../engine/cpu/argmax.ts";
import { argmax } from "../../engine/kernels/argmax.ts";
import { hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

Deno.test({
  name: "argmax() matches the CPU reference, takes the first of ties, and scans strided rows",
  ignore: !hasAdapter,
  fn: async () => {
    const [rows, vocab] = [70, 13];
    const logits = randomArray(rows * vocab, 1);
    logits[5 * vocab + 2] = logits[5 * vocab + 9] = 5; // tie in row 5
    const t = Tensor.from(gpu!, logits, [rows, vocab]);
    const ids = Tensor.zeros(gpu!, [rows], "i32");
    argmax(t, ids);
    const got = await ids.read();
    assert.deepEqual(got, argmaxCpu(logits, rows, vocab));
    assert.equal(got[5], 2);
    // Last row of each of 7 sequences of 10 rows.
    const last = Tensor.zeros(gpu!, [7], "i32");
    argmax(t, last, { stride: 10 * vocab, offset: 9 * vocab });
    assert.deepEqual([...await last.read()], Array.from({ length: 7 }, (_, b) => got[b * 10 + 9]));
  },
});
