/**
 * A resumable training state as one safetensors file: parameters, AdamW moments, loss and gradient
 * norm histories as tensors; step, tokens seen, data-order position, evaluations and the settings
 * (with their hash) in `__metadata__`. Encoding is deterministic: equal states give equal bytes.
 *
 * @module
 */
import { readSafetensors } from "../io/read_safetensors.ts";
import type { SafetensorsTensor } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/write_safetensors.ts";
import type { DataOrderState } from "./data_order.ts";
import type { Evaluation } from "./train_hook.ts";

/** `format` metadata of a training state. */
export const TRAIN_STATE_FORMAT = "harness-train-state";
/** `version` metadata this code writes and reads. */
export const TRAIN_STATE_VERSION = "1";

/** Everything needed to continue a training run exactly where it stopped. */
export interface TrainState {
  /** Optimiser steps done. */
  step: number;
  /** Real (non-padding) tokens of all batches so far. */
  tokensSeen: number;
  /** Position in the data stream. */
  dataOrder: DataOrderState;
  /** Parameters by name: shape and f32 values. */
  params: Map<string, { shape: number[]; data: Float32Array }>;
  /** AdamW first moments by parameter name. */
  m: Map<string, Float32Array>;
  /** AdamW second moments by parameter name. */
  v: Map<string, Float32Array>;
  /** Loss of every step so far (length `step`). */
  lossHistory: Float32Array;
  /** Global gradient norm (before clipping) of every step so far (length `step`). */
  gradNormHistory: Float32Array;
  /** Hook results so far. */
  evaluations: Evaluation[];
  /** Canonical JSON of the settings the state was made with. */
  settings: string;
  /** SHA-256 (hex) of `settings`. */
  settingsHash: string;
}

const PREFIX = "Cannot read training state";

/**
 * Encodes a training state.
 *
 * @param state The state.
 * @returns The safetensors bytes.
 * @throws {RangeError} When a history's length differs from `step` or a moment's from its parameter.
 */
export function encodeTrainState(state: TrainState): Uint8Array {
  if (state.lossHistory.length !== state.step || state.gradNormHistory.length !== state.step) {
    throw new RangeError(`Cannot write training state: histories must have ${state.step} entries`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  const f32 = (shape: number[], data: Float32Array): SafetensorsTensor => ({ dtype: "F32", shape, data });
  for (const [name, { shape, data }] of state.params) {
    const m = state.m.get(name), v = state.v.get(name);
    if (m?.length !== data.length || v?.length !== data.length) {
      throw new RangeError(`Cannot write training state: moments of "${name}" are missing or mis-sized`);
    }
    tensors.set(`param/${name}`, f32(shape, data));
    tensors.set(`adamw.m/${name}`, f32(shape, m));
    tensors.set(`adamw.v/${name}`, f32(shape, v));
  }
  tensors.set("history/loss", f32([state.step], state.lossHistory));
  tensors.set("history/grad_norm", f32([state.step], state.gradNormHistory));
  return writeSafetensors(tensors, {
    format: TRAIN_STATE_FORMAT,
    version: TRAIN_STATE_VERSION,
    step: String(state.step),
    tokens_seen: String(state.tokensSeen),
    data_order: JSON.stringify({ epoch: state.dataOrder.epoch, cursor: state.dataOrder.cursor }),
    evaluations: JSON.stringify(state.evaluations),
    settings: state.settings,
    settings_hash: state.settingsHash,
  });
}

/**
 * Decodes a training state written by {@linkcode encodeTrainState}.
 *
 * @param bytes The file.
 * @returns The state.
 * @throws {SyntaxError | RangeError | TypeError} When the file is not a safetensors file, not a
 * training state of this version, or inconsistent; messages start with "Cannot read training state".
 */
export function decodeTrainState(bytes: Uint8Array): TrainState {
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (error) {
    throw new SyntaxError(`${PREFIX}: ${(error as Error).message}`);
  }
  const meta = file.metadata;
  if (meta.format !== TRAIN_STATE_FORMAT) {
    throw new TypeError(
      `${PREFIX}: format is ${JSON.stringify(meta.format)}, expected "${TRAIN_STATE_FORMAT}"`,
    );
  }
  if (meta.version !== TRAIN_STATE_VERSION) {
    throw new RangeError(
      `${PREFIX}: version ${meta.version} is not supported (expected ${TRAIN_STATE_VERSION})`,
    );
  }
  const step = count(meta.step, "step");
  const float = (name: string): SafetensorsTensor & { data: Float32Array } => {
    const t = file.tensors.get(name);
    if (t === undefined || t.dtype !== "F32") {
      throw new RangeError(`${PREFIX}: tensor "${name}" is missing or not F32`);
    }
    return t as SafetensorsTensor & { data: Float32Array };
  };
  const state: TrainState = {
    step,
    tokensSeen: count(meta.tokens_seen, "tokens_seen"),
    dataOrder: parseJson(meta.data_order, "data_order") as DataOrderState,
    params: new Map(),
    m: new Map(),
    v: new Map(),
    lossHistory: float("history/loss").data,
    gradNormHistory: float("history/grad_norm").data,
    evaluations: parseJson(meta.evaluations, "evaluations") as Evaluation[],
    settings: meta.settings ?? "",
    settingsHash: meta.settings_hash ?? "",
  };
  if (state.lossHistory.length !== step || state.gradNormHistory.length !== step) {
    throw new RangeError(`${PREFIX}: histories do not have ${step} entries`);
  }
  for (const [key, tensor] of file.tensors) {
    if (!key.startsWith("param/")) continue;
    const name = key.slice("param/".length);
    const m = float(`adamw.m/${name}`), v = float(`adamw.v/${name}`);
    const data = float(key).data;
    if (m.data.length !== data.length || v.data.length !== data.length) {
      throw new RangeError(`${PREFIX}: moments of "${name}" differ in size from the parameter`);
    }
    state.params.set(name, { shape: tensor.shape, data });
    state.m.set(name, m.data);
    state.v.set(name, v.data);
  }
  return state;
}

function count(text: string | undefined, key: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${PREFIX}: metadata "${key}" must be a non-negative integer, got ${text}`);
  }
  return value;
}

function parseJson(text: string | undefined, key: string): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    throw new SyntaxError(`${PREFIX}: metadata "${key}" is not JSON`);
  }
}
