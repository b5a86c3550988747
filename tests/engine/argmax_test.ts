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

Deno.test({
  name:
    "argmax() at vocabulary 200,003: the largest in any part, the first of ties across parts, NaN skipped",
  ignore: !hasAdapter,
  fn: async () => {
    // More entries than one invocation may loop over on a CPU rasteriser (65535): parts of 4096.
    const [rows, vocab] = [4, 200_003];
    const logits = randomArray(rows * vocab, 2);
    logits[vocab - 1] = 9; // row 0: the last entry
    logits[vocab + 5000] = logits[vocab + 150_000] = 9; // row 1: tie across parts
    logits.fill(NaN, 2 * vocab, 2 * vocab + 70_000); // row 2: NaN in the first parts, then the largest
    logits[2 * vocab + 70_001] = 9;
    logits.fill(NaN, 3 * vocab, 4 * vocab); // row 3: every entry NaN
    const ids = Tensor.zeros(gpu!, [rows], "i32");
    argmax(Tensor.from(gpu!, logits, [rows, vocab]), ids);
    const got = await ids.read();
    assert.deepEqual(got, argmaxCpu(logits, rows, vocab));
    assert.deepEqual([...got], [vocab - 1, 5000, 70_001, 0]);
  },
});
