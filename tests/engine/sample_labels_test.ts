import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { philox4x32 } from "../../engine/cpu/philox.ts";
import { sampleLabelsCpu } from "../../engine/cpu/sample_labels.ts";
import { sampleLabels } from "../../engine/kernels/sample_labels.ts";
import { EXP2_TABLE, samplingShift, tokenWeight } from "../../engine/kernels/sample_labels_spec.ts";
import { hasAdapter, randomArray, testGpu } from "./support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

Deno.test("philox4x32() reproduces the Random123 known-answer vectors", () => {
  const hex = (a: Uint32Array) => [...a].map((v) => v.toString(16).padStart(8, "0")).join(" ");
  assert.equal(hex(philox4x32([0, 0, 0, 0], [0, 0])), "6627e8d5 e169c58d bc57ac4c 9b00dbd8");
  const ones = 0xffff_ffff;
  assert.equal(
    hex(philox4x32([ones, ones, ones, ones], [ones, ones])),
    "408f276d 41c83b0e a20bc7c6 6d5451fd",
  );
  assert.equal(
    hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    "d16cfe09 94fdcceb 5001e420 24126ea1",
  );
});

Deno.test("tokenWeight() approximates 2^15·exp(−d) to 2^-14 relative and vanishes past 32 nats", () => {
  assert.equal(EXP2_TABLE[0], 32768);
  assert.equal(tokenWeight(0), 32768);
  for (let d = 0; d < 2 ** 21; d += 997) {
    const exact = 32768 * Math.exp(-d / 65536);
    assert.ok(Math.abs(tokenWeight(d) - exact) <= 1 + exact * 2 ** -14, `d = ${d}`);
  }
  assert.equal(tokenWeight(2 ** 21), 0);
});

Deno.test("sampleLabelsCpu() draws from the softmax (frequencies within 4 standard errors)", () => {
  const vocab = 5, rows = 20000;
  const row = new Float32Array([0.5, -1, 2, 0, 1.25]);
  const logits = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) logits.set(row, r * vocab);
  const labels = sampleLabelsCpu(logits, rows, vocab, { seed: 42 });
  const total = row.reduce((s, l) => s + Math.exp(l), 0);
  for (let v = 0; v < vocab; v++) {
    const p = Math.exp(row[v]) / total;
    const freq = labels.filter((l) => l === v).length / rows;
    assert.ok(Math.abs(freq - p) < 4 * Math.sqrt((p * (1 - p)) / rows), `token ${v}: ${freq} vs ${p}`);
  }
});

Deno.test({
  name: "sampleLabels() is bit-identical to the CPU reference, masked, per draw and row offset",
  ignore: !hasAdapter,
  fn: async () => {
    // 9 × 9001: three parts of the vocabulary per row, and the buffer form (rows·vocab odd).
    for (
      const [rows, vocab, spread] of [[70, 11, 3], [300, 100, 20], [5, 1, 1], [64, 7, 5000], [9, 9001, 3]]
    ) {
      const logits = randomArray(rows * vocab, rows).map((v) => v * spread);
      const mask = Int32Array.from({ length: rows }, (_, r) => (r % 9 === 8 ? -1 : 0));
      const tLogits = Tensor.from(gpu!, logits, [rows, vocab]), tMask = Tensor.from(gpu!, mask);
      const options = [
        { seed: 7 },
        { seed: 7, draw: 1 },
        { seed: 2 ** 40 + 3, draw: 5, rowOffset: 1000 },
      ];
      const outs = options.map(() => Tensor.zeros(gpu!, [rows], "i32"));
      options.forEach((o, i) => sampleLabels(tLogits, outs[i], o, i === 0 ? tMask : undefined));
      const got = await readTensors(...outs);
      options.forEach((o, i) => {
        const expected = sampleLabelsCpu(logits, rows, vocab, o, i === 0 ? mask : undefined);
        assert.deepEqual(got[i], expected, `${rows}×${vocab} ${JSON.stringify(o)}`);
      });
      // With spread 5000 every row is one-hot, so all draws agree.
      if (vocab > 1 && spread < 100) assert.notDeepEqual(got[1], got[2], "different draws differ");
    }
  },
});

// Vocabularies of real checkpoints: several parts per row, more entries than one invocation may loop
// over on a CPU rasteriser (65535 iterations), an odd size (the buffer form) and, above 131,071, the
// weights shifted by one bit (Gemma's 256,000).
Deno.test({
  name: "sampleLabels() is bit-identical to the CPU reference at vocabularies of 32,000, 128,257 and 256,000",
  ignore: !hasAdapter,
  fn: async () => {
    assert.deepEqual([32_000, 128_257, 256_000].map(samplingShift), [0, 0, 1]);
    for (const vocab of [32_000, 128_257, 256_000]) {
      const rows = 24;
      // Spread 3 puts the draws all over the row (most in later parts than the first).
      const logits = randomArray(rows * vocab, vocab).map((v) => v * 3);
      const mask = Int32Array.from({ length: rows }, (_, r) => (r % 7 === 6 ? -1 : 0));
      const out = Tensor.zeros(gpu!, [rows], "i32");
      const options = { seed: 11, draw: 3, rowOffset: 500 };
      sampleLabels(Tensor.from(gpu!, logits, [rows, vocab]), out, options, Tensor.from(gpu!, mask));
      const got = await out.read();
      assert.deepEqual(got, sampleLabelsCpu(logits, rows, vocab, options, mask), `vocab ${vocab}`);
      assert.ok(got.some((l) => l >= vocab / 2), `vocab ${vocab}: some label in the upper half`);
    }
  },
});

Deno.test({
  name: "sampleLabels() draws from the softmax at vocabulary 256,000 (frequencies within 4 standard errors)",
  ignore: !hasAdapter,
  fn: async () => {
    // Four likely tokens in the first, a middle and the last part; every other token 40 nats below
    // (weight 0). 100 rows × 12 draws.
    const vocab = 256_000, rows = 100, draws = 12;
    const likely = new Map([[3, 0], [70_001, 1], [140_000, -0.5], [vocab - 1, 0.7]]);
    const row = new Float32Array(vocab).fill(-40);
    for (const [v, l] of likely) row[v] = l;
    const logits = new Float32Array(rows * vocab);
    for (let r = 0; r < rows; r++) logits.set(row, r * vocab);
    const t = Tensor.from(gpu!, logits, [rows, vocab]);
    const outs = Array.from({ length: draws }, () => Tensor.zeros(gpu!, [rows], "i32"));
    outs.forEach((out, draw) => sampleLabels(t, out, { seed: 5, draw }));
    const labels = (await readTensors(...outs)).flatMap((a) => [...a]);
    const n = rows * draws, total = [...likely.values()].reduce((s, l) => s + Math.exp(l), 0);
    assert.ok(labels.every((l) => likely.has(l)), "only the likely tokens are drawn");
    for (const [v, l] of likely) {
      const p = Math.exp(l) / total, freq = labels.filter((x) => x === v).length / n;
      assert.ok(Math.abs(freq - p) < 4 * Math.sqrt((p * (1 - p)) / n), `token ${v}: ${freq} vs ${p}`);
    }
  },
});
