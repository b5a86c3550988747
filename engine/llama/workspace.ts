/**
 * Everything a pass over B sequences of tq rows needs besides the weights: activations, attention
 * textures, backward scratch and linear-layer records, allocated on first use and reused by later
 * calls with the same shape.
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import { type AttentionTexture, createAttentionTexture } from "../kernels/attention_texture.ts";
import { Tensor } from "../tensor.ts";
import { BackwardBuffers } from "./backward_buffers.ts";
import { ForwardBuffers } from "./forward_buffers.ts";
import type { LlamaDims } from "./llama_dims.ts";

/**
 * Per-token inputs and output gradients of one linear layer y = W a (W [out, in]); rows are tokens
 * (b, t) batch-major, so Σ_rows g aᵀ is the layer's weight gradient.
 */
export interface GpuLinearRecord {
  /** Layer inputs a, [N, in]. */
  a: Tensor;
  /** Gradients of the loss with respect to the layer outputs, g, [N, out]. */
  g: Tensor;
}

/** Buffers for one (B, tq). */
export class Workspace {
  readonly #gpu: Gpu;
  readonly #dims: LlamaDims;
  /** Activations. */
  readonly forward: ForwardBuffers;
  #textures: AttentionTexture[] | null = null;
  #backward: BackwardBuffers | null = null;
  readonly #records = new Map<string, GpuLinearRecord>();

  /**
   * @param gpu Device context.
   * @param dims Model widths.
   * @param batch Sequences B.
   * @param tq Rows per sequence.
   */
  constructor(gpu: Gpu, dims: LlamaDims, batch: number, tq: number) {
    this.#gpu = gpu;
    this.#dims = dims;
    this.forward = new ForwardBuffers(gpu, dims, batch, tq);
  }

  /** Per block, the texture holding the rotated q, k, v rows ([qkv/4 texels, tq rows, B layers]). */
  textures(): AttentionTexture[] {
    const { batch, tq } = this.forward;
    this.#textures ??= Array.from(
      { length: this.#dims.layers },
      (_, l) => createAttentionTexture(this.#gpu, this.#dims.qkv / 4, tq, batch, `qkv layer ${l}`),
    );
    return this.#textures;
  }

  /** Backward scratch and loss outputs. */
  backward(): BackwardBuffers {
    this.#backward ??= new BackwardBuffers(this.#gpu, this.#dims, this.forward.batch, this.forward.tq);
    return this.#backward;
  }

  /**
   * The record tensors of a linear layer.
   *
   * @param name Weight name.
   * @param inDim Input width.
   * @param outDim Output width.
   * @returns Tensors [N, in] and [N, out], reused by later calls.
   */
  record(name: string, inDim: number, outDim: number): GpuLinearRecord {
    let record = this.#records.get(name);
    if (record === undefined) {
      const n = this.forward.rows;
      record = { a: Tensor.zeros(this.#gpu, [n, inDim]), g: Tensor.zeros(this.#gpu, [n, outDim]) };
      this.#records.set(name, record);
    }
    return record;
  }

  /**
   * Releases the record tensors of every layer not named (after submitting pending work), so that a
   * caller recording one module group after another holds one group's records, not all of them.
   *
   * @param keep Weight names whose records stay.
   */
  releaseRecordsExcept(keep: ReadonlySet<string>): void {
    const drop = [...this.#records.keys()].filter((name) => !keep.has(name));
    if (drop.length === 0) return;
    this.#gpu.flush();
    for (const name of drop) {
      const { a, g } = this.#records.get(name)!;
      a.destroy();
      g.destroy();
      this.#records.delete(name);
    }
  }

  /** Releases every buffer and texture (after submitting pending work). */
  destroy(): void {
    this.#gpu.flush();
    this.forward.destroy();
    this.#backward?.destroy();
    for (const t of this.#textures ?? []) t.texture.destroy();
    for (const { a, g } of this.#records.values()) {
      a.destroy();
      g.destroy();
    }
  }
}
