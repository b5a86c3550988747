/**
 * A tiny trainable stand-in for the GPU Llama, for trainer tests: tied embedding with an RMSNorm-like
 * gain, `logits = E·(E[id] ⊙ g)`, one serial GPU dispatch per batch, and its f64 CPU reference.
 *
 * @module
 */
import { type Gpu, type Kernel, Params, Tensor } from "../../../engine/mod.ts";
import { Rng } from "../../../engine/model/prng.ts";
import type { TrainableModel, TrainBatch } from "../../../engine/train/trainable_model.ts";
import source from "./tiny_model.wgsl" with { type: "text" };

/** Parameter names (HF style: a matrix with decay, a 1-D gain without). */
export const EMBED = "model.embed_tokens.weight";
/** Name of the gain vector. */
export const GAIN = "model.norm.weight";

const kernel: Kernel = {
  name: "tiny_model",
  source,
  bindings: ["uniform", "read", "read", "read", "read", "read", "read_write", "read_write", "read_write"],
};

/** Seeded initial parameters: embedding N(0, 0.5²), gain 1 + N(0, 0.1²). */
export function tinyParams(vocab: number, dim: number, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed, "tiny");
  const embed = Float32Array.from({ length: vocab * dim }, () => 0.5 * rng.nextNormal());
  const gain = Float32Array.from({ length: dim }, () => 1 + 0.1 * rng.nextNormal());
  return new Map([[EMBED, embed], [GAIN, gain]]);
}

/** The GPU stand-in model. */
export class TinyModel implements TrainableModel {
  /** `EMBED` [V, D] and `GAIN` [D]. */
  readonly params: Map<string, Tensor>;
  /** Gradients, same shapes. */
  readonly grads: Map<string, Tensor>;
  /** Vocabulary size V. */
  readonly vocab: number;
  /** Width D. */
  readonly dim: number;
  readonly #loss: Tensor;

  /** Allocates parameters from {@linkcode tinyParams} with `seed`. */
  constructor(gpu: Gpu, vocab: number, dim: number, seed: number) {
    this.vocab = vocab;
    this.dim = dim;
    const init = tinyParams(vocab, dim, seed);
    this.params = new Map(
      [...init].map(([name, data]) => [name, Tensor.from(gpu, data, shapeOf(name, vocab, dim))]),
    );
    this.grads = new Map([...init].map(([name]) => [name, Tensor.zeros(gpu, shapeOf(name, vocab, dim))]));
    this.#loss = Tensor.zeros(gpu, [1]);
  }

  /** Records the fused forward and backward dispatch; returns the model-owned loss tensor. */
  lossAndGrad(b: TrainBatch): Tensor {
    const gpu = this.#loss.gpu;
    gpu.dispatch(kernel, {
      constants: { V: this.vocab, D: this.dim },
      params: new Params().u32(b.batch * b.seqLen),
      resources: [
        b.ids.buffer,
        b.labels.buffer,
        b.weights.buffer,
        this.params.get(EMBED)!.buffer,
        this.params.get(GAIN)!.buffer,
        this.grads.get(EMBED)!.buffer,
        this.grads.get(GAIN)!.buffer,
        this.#loss.buffer,
      ],
      workgroups: [1],
    });
    return this.#loss;
  }
}

function shapeOf(name: string, vocab: number, dim: number): number[] {
  return name === EMBED ? [vocab, dim] : [dim];
}

/**
 * The same loss and gradients in f64 on the CPU.
 *
 * @returns `Σ w·CE` and gradients by name.
 */
export function tinyLossAndGradCpu(
  params: ReadonlyMap<string, ArrayLike<number>>,
  vocab: number,
  dim: number,
  ids: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights: ArrayLike<number>,
): { loss: number; grads: Map<string, Float64Array> } {
  const e = params.get(EMBED)!, g = params.get(GAIN)!;
  const gE = new Float64Array(vocab * dim), gG = new Float64Array(dim);
  let loss = 0;
  for (let n = 0; n < ids.length; n++) {
    const y = labels[n], w = weights[n], x = ids[n];
    if (y < 0) continue;
    const h = Array.from({ length: dim }, (_, d) => e[x * dim + d] * g[d]);
    const logits = Array.from(
      { length: vocab },
      (_, v) => h.reduce((s, hd, d) => s + hd * e[v * dim + d], 0),
    );
    const top = Math.max(...logits);
    const lse = top + Math.log(logits.reduce((s, l) => s + Math.exp(l - top), 0));
    loss += w * (lse - logits[y]);
    const dh = new Float64Array(dim);
    for (let v = 0; v < vocab; v++) {
      const dl = w * (Math.exp(logits[v] - lse) - (v === y ? 1 : 0));
      for (let d = 0; d < dim; d++) {
        gE[v * dim + d] += dl * h[d];
        dh[d] += dl * e[v * dim + d];
      }
    }
    for (let d = 0; d < dim; d++) {
      gG[d] += dh[d] * e[x * dim + d];
      gE[x * dim + d] += dh[d] * g[d];
    }
  }
  return { loss, grads: new Map([[EMBED, gE], [GAIN, gG]]) };
}

/**
 * A learnable synthetic corpus: document i is BOS(1), then an arithmetic run `a, a+k, …` over ids
 * 3 … vocab−1 (mod), then EOS(2); lengths vary from 3 to 10 tokens.
 */
export function tinyCorpus(documents: number, vocab: number): { tokens: Int32Array; offsets: Int32Array } {
  const rows: number[][] = [];
  for (let i = 0; i < documents; i++) {
    const body = 1 + (i * 5) % 8, start = i % (vocab - 3), stride = 1 + (i % 2);
    rows.push([1, ...Array.from({ length: body }, (_, j) => 3 + (start + j * stride) % (vocab - 3)), 2]);
  }
  const offsets = new Int32Array(documents + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  return { tokens: Int32Array.from(rows.flat()), offsets };
}
