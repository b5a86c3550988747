import assert from "node:assert/strict";
import { configToJson, type LlamaConfig, parseLlamaConfig } from "../../../engine/model/config.ts";
import { ropeInverseFrequencies } from "../../../engine/model/rope_frequencies.ts";
import { ropeTable } from "../../../engine/kernels/rope_table.ts";
import { ropeTables } from "../../../engine/reference/rope.ts";

const BASE = {
  vocab_size: 11,
  hidden_size: 256,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  rope_theta: 500000,
};
const LLAMA3 = {
  rope_type: "llama3",
  factor: 8,
  low_freq_factor: 1,
  high_freq_factor: 4,
  original_max_position_embeddings: 8192,
};

/**
 * transformers' `_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters` and
 * `_compute_llama3_parameters`, transcribed operation for operation (vectors as arrays, `torch.where` as a
 * conditional), in float64.
 */
function transformersInvFreq(json: Record<string, unknown>): number[] {
  const base = json.rope_theta as number;
  const dim = (json.hidden_size as number) / (json.num_attention_heads as number);
  const arange = Array.from({ length: dim / 2 }, (_, i) => 2 * i);
  const invFreq = arange.map((a) => 1.0 / base ** (a / dim));
  const scaling = json.rope_scaling as Record<string, number & string> | undefined;
  if (!scaling) return invFreq;
  const type = scaling.rope_type ?? scaling.type;
  if (type === "linear") return invFreq.map((f) => f / scaling.factor);
  const factor = scaling.factor;
  const lowFreqFactor = scaling.low_freq_factor;
  const highFreqFactor = scaling.high_freq_factor;
  const oldContextLen = scaling.original_max_position_embeddings;
  const lowFreqWavelen = oldContextLen / lowFreqFactor;
  const highFreqWavelen = oldContextLen / highFreqFactor;
  const wavelen = invFreq.map((f) => (2 * Math.PI) / f);
  let invFreqLlama = invFreq.map((f, i) => (wavelen[i] > lowFreqWavelen ? f / factor : f));
  const smoothFactor = wavelen.map((w) =>
    (oldContextLen / w - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
  );
  const smoothed = invFreqLlama.map((f, i) => ((1 - smoothFactor[i]) * f) / factor + smoothFactor[i] * f);
  const isMedium = wavelen.map((w) => !(w < highFreqWavelen) && !(w > lowFreqWavelen));
  invFreqLlama = invFreqLlama.map((f, i) => (isMedium[i] ? smoothed[i] : f));
  return invFreqLlama;
}

function config(rope: Record<string, unknown> | null, key = "rope_scaling"): LlamaConfig {
  return parseLlamaConfig({ ...BASE, [key]: rope });
}

Deno.test("ropeInverseFrequencies() matches transformers' linear and llama3 formulas in float64", () => {
  for (
    const scaling of [
      { rope_type: "linear", factor: 4 },
      { type: "linear", factor: 2.5 },
      LLAMA3,
      {
        ...LLAMA3,
        factor: 32,
        low_freq_factor: 2,
        high_freq_factor: 16,
        original_max_position_embeddings: 256,
      },
    ]
  ) {
    const expected = transformersInvFreq({ ...BASE, rope_scaling: scaling });
    const got = Array.from(ropeInverseFrequencies(config(scaling))!);
    assert.equal(got.length, 64);
    got.forEach((g, i) =>
      assert.ok(Math.abs(g - expected[i]) <= 1e-15 * expected[i], `${i}: ${g} vs ${expected[i]}`)
    );
  }
  // llama3 touches all three bands here: unchanged, interpolated and divided frequencies.
  const plain = transformersInvFreq(BASE);
  const scaled = Array.from(ropeInverseFrequencies(config(LLAMA3))!);
  const ratios = new Set(
    scaled.map((f, i) => (plain[i] / f === 1 ? "kept" : plain[i] / f === 8 ? "divided" : "mid")),
  );
  assert.deepEqual([...ratios].sort(), ["divided", "kept", "mid"]);
  assert.equal(ropeInverseFrequencies(config(null)), null);
});

Deno.test("RoPE scaling reads from rope_scaling and transformers v5 rope_parameters, and round-trips", () => {
  const v4 = config(LLAMA3);
  const v5 = config({ ...LLAMA3, rope_theta: 500000 }, "rope_parameters");
  assert.deepEqual(v4.ropeScaling, {
    ropeType: "llama3",
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: 8192,
  });
  assert.deepEqual(v5, v4);
  assert.deepEqual(parseLlamaConfig(configToJson(v4)), v4);
  assert.deepEqual(config({ rope_type: "default" }).ropeScaling, undefined);
  assert.ok(!("ropeScaling" in config(null)));
  assert.throws(
    () => config({ ...LLAMA3, high_freq_factor: 1 }),
    /^RangeError: Cannot read config.json: rope_scaling.high_freq_factor=1 must exceed rope_scaling.low_freq_factor=1$/,
  );
});

Deno.test("the engine's and the reference's rotation tables use the scaled frequencies; unscaled ones are unchanged", () => {
  const scaled = config(LLAMA3);
  const invFreq = ropeInverseFrequencies(scaled)!;
  const expected = transformersInvFreq({ ...BASE, rope_scaling: LLAMA3 });
  const gpuTable = ropeTable(50, 128, 500000, invFreq);
  const reference = ropeTables(50, 128, 500000, invFreq);
  for (const p of [0, 1, 49]) {
    for (const i of [0, 20, 40, 63]) {
      const angle = p * expected[i];
      assert.equal(gpuTable[p * 128 + i], Math.fround(Math.cos(angle)));
      assert.equal(gpuTable[p * 128 + 64 + i], Math.fround(Math.sin(angle)));
      assert.ok(Math.abs(reference.cos[p * 128 + i] - Math.cos(angle)) < 1e-12);
      assert.ok(Math.abs(reference.sin[p * 128 + 64 + i] - Math.sin(angle)) < 1e-12);
    }
  }
  assert.deepEqual(ropeTable(50, 128, 500000, null), ropeTable(50, 128, 500000));
});
