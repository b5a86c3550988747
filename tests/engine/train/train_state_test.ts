import assert from "node:assert/strict";
import { writeSafetensors } from "../../../engine/io/mod.ts";
import { decodeTrainState, encodeTrainState, type TrainState } from "../../../engine/train/train_state.ts";
import { settingsChanges, trainFingerprint } from "../../../engine/train/train_fingerprint.ts";

function state(): TrainState {
  return {
    step: 3,
    tokensSeen: 4_000_000_123,
    dataOrder: { epoch: 2, cursor: 5 },
    params: new Map([["a.weight", { shape: [2, 2], data: new Float32Array([1, -2, 3.5, NaN]) }]]),
    m: new Map([["a.weight", new Float32Array([0.1, 0.2, 0.3, 0.4])]]),
    v: new Map([["a.weight", new Float32Array([1e-9, 2e-9, 3e-9, 4e-9])]]),
    lossHistory: new Float32Array([3, 2.5, 2.25]),
    gradNormHistory: new Float32Array([9, 8, 7]),
    evaluations: [{ step: 2, hook: "probe", values: { accuracy: 0.5 } }],
    settings: '{"training":{"steps":3}}',
    settingsHash: "ab".repeat(32),
  };
}

Deno.test("encodeTrainState() round-trips every field bit-exactly and deterministically", () => {
  const bytes = encodeTrainState(state());
  assert.deepEqual(encodeTrainState(state()), bytes);
  const back = decodeTrainState(bytes);
  assert.deepEqual(back.params.get("a.weight")!.shape, [2, 2]);
  assert.deepEqual(
    new Uint32Array(back.params.get("a.weight")!.data.buffer),
    new Uint32Array(state().params.get("a.weight")!.data.buffer),
  );
  const { params: _p, ...rest } = back;
  const { params: _q, ...expected } = state();
  assert.deepEqual(rest, expected);
});

Deno.test("decodeTrainState() rejects other files, truncated files and inconsistent states", () => {
  const bytes = encodeTrainState(state());
  assert.throws(() => decodeTrainState(bytes.slice(0, bytes.length - 4)), /Cannot read training state/);
  const model = writeSafetensors({ w: { dtype: "F32", shape: [1], data: new Float32Array(1) } }, {
    format: "pt",
  });
  assert.throws(() => decodeTrainState(model), /Cannot read training state: format is "pt"/);
  assert.throws(() => encodeTrainState({ ...state(), step: 4 }), /histories must have 4 entries/);
});

Deno.test("trainFingerprint() hashes settings and corpus but not checkpointEvery", async () => {
  const settings = {
    steps: 10,
    batchSize: 2,
    learningRate: 1e-3,
    minLearningRateRatio: 0.1,
    warmupSteps: 1,
    weightDecay: 0.01,
    beta1: 0.9,
    beta2: 0.95,
    gradClip: 1,
    checkpointEvery: 5,
    seed: 3,
  };
  const corpus = { tokens: new Int32Array([1, 4, 2]), offsets: new Int32Array([0, 3]) };
  const base = { settings, eps: 1e-8, decayed: ["w"], seqLenMultiple: 1, corpus };
  const a = await trainFingerprint(base);
  assert.equal(
    (await trainFingerprint({ ...base, settings: { ...settings, checkpointEvery: 7 } })).hash,
    a.hash,
  );
  const b = await trainFingerprint({ ...base, settings: { ...settings, beta2: 0.99 } });
  assert.notEqual(b.hash, a.hash);
  assert.deepEqual(settingsChanges(a.json, b.json), ["training.beta2 (0.95 → 0.99)"]);
  const c = await trainFingerprint({ ...base, corpus: { ...corpus, tokens: new Int32Array([1, 5, 2]) } });
  assert.deepEqual(settingsChanges(a.json, c.json).map((s) => s.split(" ")[0]), ["corpus.sha256"]);
});
