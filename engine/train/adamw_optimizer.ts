/**
 * AdamW over a model's parameter tensors, with global gradient-norm clipping computed and applied on
 * the GPU (no readback inside a step).
 *
 * @module
 */
import { adamwScalars, adamwUpdate } from "../kernels/adamw.ts";
import { gradClipFactor } from "../kernels/grad_clip.ts";
import { sumSquaresAll } from "../kernels/reduce.ts";
import type { Gpu } from "../gpu.ts";
import { Tensor } from "../tensor.ts";
import { ADAMW_EPS } from "./train_settings.ts";

/** Which tensors get weight decay, by name and shape. */
export type DecayRule = (name: string, shape: readonly number[]) => boolean;

/** Decay every matrix (embeddings, projections) and nothing 1-D (RMSNorm gains). */
export const decayMatrices: DecayRule = (_name: string, shape: readonly number[]): boolean =>
  shape.length >= 2;

/** AdamW hyper-parameters. */
export interface AdamWOptions {
  /** First-moment decay β1. */
  beta1: number;
  /** Second-moment decay β2. */
  beta2: number;
  /** Decoupled weight decay of the tensors `decay` selects. */
  weightDecay: number;
  /** Largest global gradient norm. */
  gradClip: number;
  /** ε (default {@linkcode ADAMW_EPS}). */
  eps?: number;
  /** Decay rule (default {@linkcode decayMatrices}). */
  decay?: DecayRule;
}

/**
 * AdamW state for a fixed set of parameters: first and second moments packed in one buffer each (in
 * the parameters' order), the step count, and the per-step clip statistics.
 *
 * A step records, in order: `Σ g²` of every gradient (the engine's deterministic reductions), the
 * global norm and clip factor (`gradClipFactor`, into {@linkcode AdamW.stats}), then one `adamwUpdate`
 * per tensor reading the clip factor from that buffer.
 */
export class AdamW {
  /** The device of the parameters. */
  readonly gpu: Gpu;
  /** Parameter names, in update order. */
  readonly names: readonly string[];
  /** Names of the tensors with weight decay. */
  readonly decayed: ReadonlySet<string>;
  /** Packed first moments (f32 [total parameters]). */
  readonly m: Tensor;
  /** Packed second moments (f32 [total parameters]). */
  readonly v: Tensor;
  /** `[global gradient norm, clip factor]` of the last step (f32 [2]). */
  readonly stats: Tensor;
  readonly #params: ReadonlyMap<string, Tensor>;
  readonly #grads: ReadonlyMap<string, Tensor>;
  readonly #offsets = new Map<string, number>();
  readonly #partials: Tensor[];
  readonly #sumsq: Tensor;
  readonly #options: Required<Omit<AdamWOptions, "decay">>;
  #t = 0;

  /**
   * Zero moments and step count for the given parameters.
   *
   * @param params Parameters by name (updated in place by {@linkcode AdamW.step}).
   * @param grads Gradients, same names and sizes.
   * @param options Hyper-parameters.
   * @throws {RangeError} When there are no parameters or a gradient is missing or differently sized.
   */
  constructor(
    params: ReadonlyMap<string, Tensor>,
    grads: ReadonlyMap<string, Tensor>,
    options: AdamWOptions,
  ) {
    this.names = [...params.keys()];
    if (this.names.length === 0) throw new RangeError("Cannot create AdamW: the model has no parameters");
    let total = 0;
    for (const name of this.names) {
      const p = params.get(name)!, g = grads.get(name);
      if (g === undefined || g.size !== p.size) {
        throw new RangeError(
          `Cannot create AdamW: gradient of "${name}" is ${
            g ? `of size ${g.size}` : "missing"
          }, expected ${p.size}`,
        );
      }
      this.#offsets.set(name, total);
      total += p.size;
    }
    const gpu = this.gpu = params.get(this.names[0])!.gpu;
    const rule = options.decay ?? decayMatrices;
    this.decayed = new Set(this.names.filter((n) => rule(n, params.get(n)!.shape)));
    this.#params = params;
    this.#grads = grads;
    this.#options = {
      beta1: options.beta1,
      beta2: options.beta2,
      weightDecay: options.weightDecay,
      gradClip: options.gradClip,
      eps: options.eps ?? ADAMW_EPS,
    };
    this.m = Tensor.zeros(gpu, [total]);
    this.v = Tensor.zeros(gpu, [total]);
    this.stats = Tensor.zeros(gpu, [2]);
    this.#partials = this.names.map(() => Tensor.zeros(gpu, [1]));
    this.#sumsq = Tensor.zeros(gpu, [this.names.length]);
  }

  /** Steps taken so far (AdamW's t). */
  get stepCount(): number {
    return this.#t;
  }

  /**
   * First element of a parameter's moments in {@linkcode AdamW.m} and {@linkcode AdamW.v}.
   *
   * @param name Parameter name.
   * @returns The offset.
   * @throws {RangeError} For an unknown name.
   */
  offsetOf(name: string): number {
    const offset = this.#offsets.get(name);
    if (offset === undefined) throw new RangeError(`AdamW has no parameter "${name}"`);
    return offset;
  }

  /**
   * Records one clipped AdamW step at learning rate `lr` using the current gradients.
   *
   * @param lr Learning rate of this step.
   */
  step(lr: number): void {
    const gpu = this.gpu;
    this.names.forEach((name, k) => {
      sumSquaresAll(this.#grads.get(name)!, this.#partials[k]);
      gpu.copyBuffer(this.#partials[k].buffer, 0, this.#sumsq.buffer, 4 * k, 4);
    });
    gradClipFactor(this.#sumsq, this.#options.gradClip, this.stats);
    this.#t++;
    const { weightDecay, ...hyper } = this.#options;
    const withDecay = adamwScalars(this.#t, lr, { ...hyper, weightDecay });
    const without = adamwScalars(this.#t, lr, { ...hyper, weightDecay: 0 });
    for (const name of this.names) {
      const scalars = this.decayed.has(name) ? withDecay : without;
      adamwUpdate(
        this.#params.get(name)!,
        this.#grads.get(name)!,
        this.m,
        this.v,
        this.#offsets.get(name)!,
        this.stats,
        scalars,
      );
    }
  }

  /**
   * Restores the step count and moments (e.g. from a saved training state); writes are ordered after
   * the work recorded so far.
   *
   * @param t Steps already taken.
   * @param m Packed first moments.
   * @param v Packed second moments.
   * @throws {RangeError} When a length or `t` is wrong.
   */
  restore(t: number, m: Float32Array, v: Float32Array): void {
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`Cannot restore AdamW: step ${t} is not a count`);
    this.m.write(m);
    this.v.write(v);
    this.#t = t;
  }

  /** Releases the optimizer's buffers (not the model's). */
  destroy(): void {
    for (const t of [this.m, this.v, this.stats, this.#sumsq, ...this.#partials]) t.destroy();
  }
}
