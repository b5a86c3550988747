import assert from "node:assert/strict";
import { readTensors, Tensor } from "../../engine/mod.ts";
import { philox4x32 } from "../../engine/cpu/philox.ts";
import { sampleLabelsCpu } from "../../engine/cpu/sample_labels.ts";
import { sampleLabels } from "../../engine/kernels/sample_labels.ts";
import { EXP2_TABLE, tokenWeight } from "../../engine/kernels/sample_labels_spec.ts";
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
    for (const [rows, vocab, spread] of [[70, 11, 3], [300, 100, 20], [5, 1, 1], [64, 7, 5000]]) {
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
