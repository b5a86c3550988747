/**
 * `train()`: AdamW training of a {@linkcode TrainableModel} on whole documents, with periodic
 * evaluation hooks, batched loss readback and bit-exact resumable checkpoints.
 *
 * @module
 */
import { readTensors, Tensor } from "../tensor.ts";
import { AdamW, decayMatrices, type DecayRule } from "./adamw_optimizer.ts";
import { checkResumable } from "./check_resumable.ts";
import { DataOrder } from "./data_order.ts";
import { checkDocumentTokens, type DocumentTokens } from "./document_tokens.ts";
import { learningRate } from "./learning_rate.ts";
import { makeBatch } from "./make_batch.ts";
import { StepLog } from "./step_log.ts";
import type { TrainableModel } from "./trainable_model.ts";
import type { Evaluation, TrainHook } from "./train_hook.ts";
import { trainFingerprint } from "./train_fingerprint.ts";
import { ADAMW_EPS, type TrainSettings, validateTrainSettings } from "./train_settings.ts";
import { decodeTrainState, encodeTrainState, type TrainState } from "./train_state.ts";
import { subsampleCurve, type TrainingRecord } from "./training_record.ts";

/** What the progress callback receives after each loss readback. */
export interface TrainProgress {
  /** Optimiser steps done. */
  step: number;
  /** Total steps of the run. */
  steps: number;
  /** Loss of the last step (mean nats per labelled token). */
  loss: number;
  /** Mean loss of the steps since the previous report. */
  meanLoss: number;
  /** Global gradient norm of the last step, before clipping. */
  gradNorm: number;
  /** Learning rate of the last step. */
  learningRate: number;
  /** Real tokens of all batches so far. */
  tokensSeen: number;
  /** Tokens per second since the previous report (hooks and checkpoints not counted). */
  tokensPerSecond: number;
  /** Seconds since this call started. */
  elapsedSeconds: number;
}

/** Options of {@linkcode train}; everything but the settings that does not change the numbers. */
export interface TrainOptions {
  /** Stores a checkpoint (one safetensors file) after every `checkpointEvery`-th step. */
  saveState?: (bytes: Uint8Array) => Promise<void> | void;
  /** Returns the last stored checkpoint, or null / undefined to start afresh. */
  loadState?: () => Promise<Uint8Array | null | undefined> | Uint8Array | null | undefined;
  /** Called after each loss readback. */
  onProgress?: (progress: TrainProgress) => void;
  /** Steps between loss readbacks (default 20; checkpoints and the last step also read back). */
  logEvery?: number;
  /** Evaluation hooks. */
  hooks?: readonly TrainHook[];
  /** Longest document the model accepts; longer ones are refused before training starts. */
  maxSeqLen?: number;
  /** Round padded lengths up to a multiple of this (default 1; part of the settings hash). */
  seqLenMultiple?: number;
  /** AdamW ε (default {@linkcode ADAMW_EPS}; part of the settings hash). */
  eps?: number;
  /** Which tensors get weight decay (default: rank ≥ 2; part of the settings hash). */
  decay?: DecayRule;
  /** Points of the record's loss curve (default 200). */
  curvePoints?: number;
  /** Stops training between steps; `train` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Trains `model` for `settings.steps` AdamW steps on batches of `settings.batchSize` whole documents.
 *
 * Each step: the next documents of a seeded epoch-wise permutation are padded into a batch (labels are
 * the next tokens, weights `1/labelled` so the loss is the per-token mean), `lossAndGrad` records the
 * gradients, and the optimiser records global-norm clipping and the AdamW update, all on the GPU.
 * Losses and gradient norms are collected on the GPU and read back every `logEvery` steps. When
 * `loadState` returns a state, training continues from it: parameters, moments, step, data position,
 * histories and evaluations are restored, and the run ends bit-identical to an uninterrupted one.
 *
 * @param model The model (its parameters are trained in place).
 * @param corpus The training documents (each BOS … EOS).
 * @param settings Training settings with a resolved seed.
 * @param options Checkpoint callbacks, progress, hooks and batching options.
 * @returns The training record.
 * @throws {RangeError} On invalid settings or corpus, or when the loss or gradient norm becomes
 * non-finite (the run diverged).
 * @throws {IncompatibleTrainStateError} When the stored state belongs to other settings or another model.
 * @throws {SyntaxError | TypeError | RangeError} When the stored state is corrupted.
 */
export async function train(
  model: TrainableModel,
  corpus: DocumentTokens,
  settings: TrainSettings,
  options: TrainOptions = {},
): Promise<TrainingRecord> {
  const started = performance.now();
  validateTrainSettings(settings);
  const logEvery = positive(options.logEvery ?? 20, "logEvery");
  const seqLenMultiple = positive(options.seqLenMultiple ?? 1, "seqLenMultiple");
  const hooks = options.hooks ?? [];
  for (const hook of hooks) positive(hook.every, `hook "${hook.name}" every`);
  const documents = checkDocumentTokens(corpus, options.maxSeqLen);
  const eps = options.eps ?? ADAMW_EPS, decay = options.decay ?? decayMatrices;
  const decayed = [...model.params].filter(([name, t]) => decay(name, t.shape)).map(([name]) => name);
  const fingerprint = await trainFingerprint({ settings, eps, decayed, seqLenMultiple, corpus });
  const saved = await options.loadState?.();
  const state = saved ? decodeTrainState(saved) : null;
  if (state) checkResumable(state, model.params, fingerprint, settings.steps);

  const optimizer = new AdamW(model.params, model.grads, { ...settings, eps, decay });
  const gpu = optimizer.gpu;
  const log = new StepLog(gpu, logEvery);
  const buckets = settings.lengthBuckets ?? 1;
  const bucketing = buckets === 1 ? null : {
    lengths: Int32Array.from({ length: documents }, (_, d) => corpus.offsets[d + 1] - corpus.offsets[d]),
    batchSize: settings.batchSize,
    buckets,
  };
  let step = 0, tokensSeen = 0, order = new DataOrder(documents, settings.seed, undefined, bucketing);
  let losses: number[] = [], norms: number[] = [], evaluations: Evaluation[] = [];
  if (state) {
    for (const [name, tensor] of model.params) (tensor as Tensor<"f32">).write(state.params.get(name)!.data);
    optimizer.restore(state.step, pack(state.m, optimizer), pack(state.v, optimizer));
    order = new DataOrder(documents, settings.seed, state.dataOrder, bucketing);
    [step, tokensSeen, evaluations] = [state.step, state.tokensSeen, state.evaluations];
    [losses, norms] = [Array.from(state.lossHistory), Array.from(state.gradNormHistory)];
  }
  const resumedFromStep = step;

  let windowStart = performance.now(), windowTokens = 0, pausedSeconds = 0, sessionTokens = 0;
  let trainingSeconds = 0, lr = 0;
  try {
    while (step < settings.steps) {
      options.signal?.throwIfAborted();
      const batch = makeBatch(corpus, order.next(settings.batchSize), seqLenMultiple);
      const ids = Tensor.from(gpu, batch.ids), labels = Tensor.from(gpu, batch.labels);
      const weights = Tensor.from(gpu, batch.weights);
      const loss = model.lossAndGrad({ ids, labels, weights, batch: batch.batch, seqLen: batch.seqLen });
      lr = learningRate(step, settings);
      optimizer.step(lr);
      log.record(loss, optimizer.stats);
      gpu.flush();
      for (const t of [ids, labels, weights]) t.destroy();
      step++;
      tokensSeen += batch.tokens;
      windowTokens += batch.tokens;

      const pauseStart = performance.now();
      for (const hook of hooks.filter((h) => step % h.every === 0)) {
        const values = await hook.run({ step, model });
        if (values) evaluations.push({ step, hook: hook.name, values: { ...values } });
      }
      pausedSeconds += (performance.now() - pauseStart) / 1000;
      const checkpoint = options.saveState !== undefined && step % settings.checkpointEvery === 0;
      if (log.pending < log.capacity && !checkpoint && step < settings.steps) continue;

      const [window, m, v, ...values] = await readTensors(
        log.window,
        ...(checkpoint ? [optimizer.m, optimizer.v, ...model.params.values()] : []),
      ) as Float32Array[];
      const now = performance.now();
      const taken = log.take(window);
      checkFinite(taken, step - taken.loss.length, lr);
      losses.push(...taken.loss);
      norms.push(...taken.gradNorm);
      const seconds = Math.max(1e-9, (now - windowStart) / 1000 - pausedSeconds);
      trainingSeconds += seconds;
      sessionTokens += windowTokens;
      options.onProgress?.({
        step,
        steps: settings.steps,
        loss: taken.loss[taken.loss.length - 1],
        meanLoss: taken.loss.reduce((a, b) => a + b, 0) / taken.loss.length,
        gradNorm: taken.gradNorm[taken.gradNorm.length - 1],
        learningRate: lr,
        tokensSeen,
        tokensPerSecond: windowTokens / seconds,
        elapsedSeconds: (now - started) / 1000,
      });
      if (checkpoint) {
        const snapshot = { step, tokensSeen, order, losses, norms, evaluations, fingerprint };
        await options.saveState!(
          encodeTrainState(captureState(snapshot, optimizer, model.params, values, m, v)),
        );
      }
      windowStart = performance.now();
      windowTokens = 0;
      pausedSeconds = 0;
    }
  } finally {
    gpu.flush();
    optimizer.destroy();
    log.destroy();
  }

  const tail = losses.slice(-Math.max(1, Math.ceil(losses.length / 20)));
  return {
    steps: step,
    resumedFromStep,
    tokensSeen,
    finalLoss: losses.at(-1) ?? NaN,
    smoothedFinalLoss: tail.length > 0 ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN,
    wallSeconds: (performance.now() - started) / 1000,
    tokensPerSecond: trainingSeconds > 0 ? sessionTokens / trainingSeconds : 0,
    lossCurve: subsampleCurve(Float32Array.from(losses), options.curvePoints ?? 200),
    evaluations,
    settingsHash: fingerprint.hash,
  };
}

function positive(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot train: ${what} must be a positive integer, got ${value}`);
  }
  return value;
}

function checkFinite(taken: { loss: Float32Array; gradNorm: Float32Array }, first: number, lr: number): void {
  for (let i = 0; i < taken.loss.length; i++) {
    if (!Number.isFinite(taken.loss[i]) || !Number.isFinite(taken.gradNorm[i])) {
      throw new RangeError(
        `Training diverged at step ${first + i + 1}: loss ${taken.loss[i]}, gradient norm ${
          taken.gradNorm[i]
        } ` +
          `(learning rate near ${lr.toExponential(2)}); lower training.learningRate or training.gradClip`,
      );
    }
  }
}

/** Assembles the state to save from the trainer's counters and the read-back GPU buffers. */
function captureState(
  run: {
    step: number;
    tokensSeen: number;
    order: DataOrder;
    losses: number[];
    norms: number[];
    evaluations: Evaluation[];
    fingerprint: { json: string; hash: string };
  },
  optimizer: AdamW,
  params: ReadonlyMap<string, Tensor>,
  values: Float32Array[],
  m: Float32Array,
  v: Float32Array,
): TrainState {
  const shapes = [...params.values()].map((t) => [...t.shape]);
  return {
    step: run.step,
    tokensSeen: run.tokensSeen,
    dataOrder: run.order.state,
    params: new Map(optimizer.names.map((name, k) => [name, { shape: shapes[k], data: values[k] }])),
    m: unpack(m, optimizer, params),
    v: unpack(v, optimizer, params),
    lossHistory: Float32Array.from(run.losses),
    gradNormHistory: Float32Array.from(run.norms),
    evaluations: run.evaluations,
    settings: run.fingerprint.json,
    settingsHash: run.fingerprint.hash,
  };
}

/** Packs per-parameter moments into the optimizer's layout. */
function pack(moments: ReadonlyMap<string, Float32Array>, optimizer: AdamW): Float32Array {
  const out = new Float32Array(optimizer.m.size);
  for (const name of optimizer.names) out.set(moments.get(name)!, optimizer.offsetOf(name));
  return out;
}

/** Splits packed moments per parameter (views into `packed`). */
function unpack(
  packed: Float32Array,
  optimizer: AdamW,
  params: ReadonlyMap<string, Tensor>,
): Map<string, Float32Array> {
  return new Map(optimizer.names.map((name) => {
    const offset = optimizer.offsetOf(name);
    return [name, packed.subarray(offset, offset + params.get(name)!.size)];
  }));
}
