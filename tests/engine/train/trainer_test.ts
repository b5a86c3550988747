import assert from "node:assert/strict";
import { fill, readTensors, type Tensor } from "../../../engine/mod.ts";
import { adamwCpu } from "../../../engine/cpu/adamw.ts";
import { gradClipCpu } from "../../../engine/cpu/grad_clip.ts";
import { adamwScalars } from "../../../engine/kernels/adamw.ts";
import { DataOrder } from "../../../engine/train/data_order.ts";
import { IncompatibleTrainStateError } from "../../../engine/train/incompatible_train_state_error.ts";
import { learningRate } from "../../../engine/train/learning_rate.ts";
import { makeBatch } from "../../../engine/train/make_batch.ts";
import { train, type TrainOptions } from "../../../engine/train/trainer.ts";
import type { TrainableModel, TrainBatch } from "../../../engine/train/trainable_model.ts";
import { ADAMW_EPS, type TrainSettings } from "../../../engine/train/train_settings.ts";
import { decodeTrainState } from "../../../engine/train/train_state.ts";
import { assertClose, hasAdapter, testGpu } from "../support.ts";
import { EMBED, tinyCorpus, tinyLossAndGradCpu, TinyModel, tinyParams } from "./tiny_model.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const [V, D] = [12, 4];
const corpus = tinyCorpus(10, V);
const SETTINGS: TrainSettings = {
  steps: 20,
  batchSize: 3,
  learningRate: 0.05,
  minLearningRateRatio: 0.1,
  warmupSteps: 3,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.95,
  gradClip: 1,
  checkpointEvery: 4,
  seed: 5,
};

/** Trains a fresh TinyModel, keeping every saved state by step. */
async function run(
  options: TrainOptions & {
    init?: number;
    settings?: Partial<TrainSettings>;
    model?: TrainableModel;
    states?: Map<number, Uint8Array>;
  } = {},
) {
  const model = options.model ?? new TinyModel(gpu!, V, D, options.init ?? 1);
  const states = options.states ?? new Map<number, Uint8Array>();
  const record = await train(model, corpus, { ...SETTINGS, ...options.settings }, {
    logEvery: 5,
    saveState: (bytes) => void states.set(decodeTrainState(bytes).step, bytes),
    ...options,
  });
  const params = await readTensors(...model.params.values()) as Float32Array[];
  return { model, record, states, params };
}

const bits = (arrays: Float32Array[]) =>
  arrays.map((a) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)]);

Deno.test({
  name: "train() follows a CPU re-implementation of batching, schedule, clipping and AdamW",
  ignore: !hasAdapter,
  fn: async () => {
    const steps = 6;
    const { record, params } = await run({ settings: { steps, gradClip: 0.5 }, saveState: undefined });
    const order = new DataOrder(10, SETTINGS.seed);
    const cpu = tinyParams(V, D, 1);
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>(
      [...cpu].map(([k, v]) => [k, { m: new Float32Array(v.length), v: new Float32Array(v.length) }]),
    );
    const losses: number[] = [];
    for (let t = 0; t < steps; t++) {
      const b = makeBatch(corpus, order.next(SETTINGS.batchSize));
      const { loss, grads } = tinyLossAndGradCpu(cpu, V, D, b.ids, b.labels, b.weights);
      losses.push(loss);
      const g32 = new Map([...grads].map(([k, g]) => [k, Float32Array.from(g)]));
      const { clip } = gradClipCpu([...g32.values()], 0.5);
      for (const [name, p] of cpu) {
        const s = adamwScalars(t + 1, learningRate(t, { ...SETTINGS, steps }), {
          beta1: SETTINGS.beta1,
          beta2: SETTINGS.beta2,
          eps: ADAMW_EPS,
          weightDecay: name === EMBED ? SETTINGS.weightDecay : 0,
        });
        const mv = moments.get(name)!;
        const out = adamwCpu(p, g32.get(name)!, mv.m, mv.v, clip, s);
        [mv.m, mv.v] = [out.m, out.v];
        cpu.set(name, out.param);
      }
    }
    assertClose(record.lossCurve.map((p) => p.loss), losses, { atol: 0, rtol: 1e-5 }, "per-step losses");
    assertClose(params[0], cpu.get(EMBED)!, { atol: 2e-5, rtol: 1e-4 }, "embedding after training");
    assertClose(params[1], cpu.get("model.norm.weight")!, { atol: 2e-5, rtol: 1e-4 }, "gain after training");
  },
});

Deno.test({
  name: "train() resumed from a checkpoint ends bit-identical to an uninterrupted run",
  ignore: !hasAdapter,
  fn: async () => {
    const straight = await run();
    assert.deepEqual([...straight.states.keys()], [4, 8, 12, 16, 20]);

    const abort = new AbortController();
    const kept = new Map<number, Uint8Array>();
    const interrupted = run({
      states: kept,
      signal: abort.signal,
      onProgress: (p) => p.step >= 10 && abort.abort(new Error("killed")),
    });
    await assert.rejects(interrupted, /killed/);
    // The interrupted run saved steps 4 and 8 before it was stopped; they equal the straight run's.
    const firstEight = straight.states.get(8)!;
    const resumed = await run({ init: 99, loadState: () => firstEight });
    assert.equal(resumed.record.resumedFromStep, 8);
    assert.deepEqual(bits(resumed.params), bits(straight.params));
    assert.deepEqual(resumed.record.lossCurve, straight.record.lossCurve);
    assert.equal(resumed.record.tokensSeen, straight.record.tokensSeen);
    for (const step of [12, 16, 20]) {
      assert.deepEqual(resumed.states.get(step), straight.states.get(step), `state at step ${step}`);
    }
  },
});

Deno.test({
  name: "train() refuses a state from other settings, another model shape or a corrupted file",
  ignore: !hasAdapter,
  fn: async () => {
    const { states } = await run({ settings: { steps: 4 } });
    const saved = states.get(4)!;
    const settings = { steps: 4, learningRate: 0.02 };
    await assert.rejects(
      run({ settings, loadState: () => saved }),
      (e) =>
        e instanceof IncompatibleTrainStateError &&
        /training\.learningRate \(0\.05 → 0\.02\)/.test(e.message),
    );
    await assert.rejects(
      run({ settings: { steps: 4 }, model: new TinyModel(gpu!, V, 6, 1), loadState: () => saved }),
      /parameter "model\.embed_tokens\.weight" has shape \[12,4\] in the saved state, \[12,6\] in the model/,
    );
    const other = { tokens: corpus.tokens.map((t) => (t === 5 ? 6 : t)), offsets: corpus.offsets };
    await assert.rejects(
      train(new TinyModel(gpu!, V, D, 1), other, { ...SETTINGS, steps: 4 }, { loadState: () => saved }),
      /corpus\.sha256/,
    );
    await assert.rejects(
      run({ settings: { steps: 4 }, loadState: () => saved.slice(0, 100) }),
      /Cannot read training state/,
    );
    const finished = await run({ settings: { steps: 4 }, loadState: () => saved });
    assert.equal(finished.record.resumedFromStep, 4);
    assert.equal(finished.states.size, 0, "a finished state is not trained further");
  },
});

Deno.test({
  name: "train() reads losses back in batches, runs hooks and returns a training record",
  ignore: !hasAdapter,
  fn: async () => {
    const before = gpu!.stats.readbacks;
    let calls = 0;
    const progress: number[] = [];
    const { record } = await run({
      logEvery: 10,
      saveState: undefined,
      onProgress: (p) => progress.push(p.step),
      hooks: [{ name: "probe", every: 5, run: () => Promise.resolve({ calls: ++calls }) }],
    });
    assert.equal(gpu!.stats.readbacks - before - 1, 2, "one readback per 10 steps (plus the final params)");
    assert.deepEqual(progress, [10, 20]);
    assert.deepEqual(record.evaluations.map((e) => [e.step, e.values.calls]), [[5, 1], [10, 2], [15, 3], [
      20,
      4,
    ]]);
    assert.equal(record.steps, 20);
    assert.equal(record.lossCurve.length, 20);
    const order = new DataOrder(10, SETTINGS.seed);
    let tokens = 0;
    for (let s = 0; s < 20; s++) tokens += makeBatch(corpus, order.next(3)).tokens;
    assert.equal(record.tokensSeen, tokens);
    assert.ok(record.tokensPerSecond > 0 && record.wallSeconds > 0);
    const first = record.lossCurve.slice(0, 3).reduce((a, p) => a + p.loss, 0);
    const last = record.lossCurve.slice(-3).reduce((a, p) => a + p.loss, 0);
    assert.ok(last < 0.95 * first, `loss falls (${first / 3} → ${last / 3})`);
    const short = await run({ saveState: undefined, curvePoints: 6 });
    assert.deepEqual(short.record.lossCurve.map((p) => p.step), [4, 8, 12, 16, 20]);
  },
});

Deno.test({
  name: "train() stops with a clear message when the loss becomes non-finite, saving nothing",
  ignore: !hasAdapter,
  fn: async () => {
    const inner = new TinyModel(gpu!, V, D, 1);
    const broken: TrainableModel = {
      params: inner.params,
      grads: inner.grads,
      lossAndGrad(b: TrainBatch): Tensor {
        const loss = inner.lossAndGrad(b);
        fill(loss, NaN);
        return loss;
      },
    };
    const saved: number[] = [];
    await assert.rejects(
      run({ model: broken, saveState: (b) => void saved.push(b.length) }),
      /Training diverged at step 1: loss NaN/,
    );
    assert.deepEqual(saved, []);
  },
});

Deno.test({
  name: "train() with length buckets follows the bucketed order and resumes bit-identically",
  ignore: !hasAdapter,
  fn: async () => {
    const settings = { lengthBuckets: 2 };
    const straight = await run({ settings });
    const order = new DataOrder(10, SETTINGS.seed, undefined, {
      lengths: Array.from({ length: 10 }, (_, d) => corpus.offsets[d + 1] - corpus.offsets[d]),
      batchSize: 3,
      buckets: 2,
    });
    let tokens = 0;
    for (let s = 0; s < 20; s++) tokens += makeBatch(corpus, order.next(3)).tokens;
    assert.equal(straight.record.tokensSeen, tokens);
    const plain = await run();
    assert.notDeepEqual(bits(straight.params), bits(plain.params), "the order changed");
    const resumed = await run({ settings, init: 99, loadState: () => straight.states.get(8)! });
    assert.equal(resumed.record.resumedFromStep, 8);
    assert.deepEqual(bits(resumed.params), bits(straight.params));
    // A state saved without the setting resumes with lengthBuckets 1 (the same plain order).
    const plainEight = plain.states.get(8)!;
    const continued = await run({ settings: { lengthBuckets: 1 }, loadState: () => plainEight });
    assert.deepEqual(bits(continued.params), bits(plain.params));
    await assert.rejects(
      run({ settings, loadState: () => plainEight }),
      (e) => e instanceof IncompatibleTrainStateError && /lengthBuckets/.test(e.message),
    );
  },
});
