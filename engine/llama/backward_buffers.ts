/**
 * Scratch of the backward pass over N rows, shared by all blocks (each block overwrites it), plus
 * the loss outputs.
 *
 * @module
 */
import { gradTextureTexels } from "../kernels/attention_backward.ts";
import { type AttentionTexture, createAttentionTexture } from "../kernels/attention_texture.ts";
import type { Gpu } from "../gpu.ts";
import { Tensor } from "../tensor.ts";
import type { LlamaDims } from "./llama_dims.ts";

/** Backward scratch and loss outputs for one (B, T). */
export class BackwardBuffers {
  /** Gradient of the residual stream [N, D], updated block by block. */
  readonly dres: Tensor;
  /** Gradient of a norm output [N, D]. */
  readonly dn: Tensor;
  /** Gradient of the SwiGLU activation [N, I]. */
  readonly dAct: Tensor;
  /** Gradient of the fused gate|up output [N, 2I]. */
  readonly dGu: Tensor;
  /** Gradient of the attention output [N, H·hd]. */
  readonly dAttn: Tensor;
  /** Gradient of the fused q|k|v output [N, (H+2KV)·hd]. */
  readonly dQkv: Tensor;
  /** Gradient of the logits [N, V]. */
  readonly dLogits: Tensor;
  /** Weight gradients of the fused projections: [(H+2KV)·hd, D] and [2I, D]. */
  readonly gradQkv: Tensor;
  /** See `gradQkv`. */
  readonly gradGu: Tensor;
  /** Summed weighted loss [1]. */
  readonly loss: Tensor;
  /** Per-position weighted losses [N]. */
  readonly rowLoss: Tensor;
  /** Per-position label log-probabilities [N]. */
  readonly logProbs: Tensor;
  /** Labels sampled from the model [N] (i32). */
  readonly sampled: Tensor;
  /** Output gradients and (lse, D) of attention, read by the backward kernels. */
  readonly grad: AttentionTexture;

  /**
   * Allocates the buffers.
   *
   * @param gpu Device context.
   * @param dims Model widths.
   * @param batch Sequences B.
   * @param seqLen Tokens per sequence T.
   */
  constructor(gpu: Gpu, dims: LlamaDims, batch: number, seqLen: number) {
    const n = batch * seqLen, { d, inter, vocab } = dims;
    this.dres = Tensor.zeros(gpu, [n, d]);
    this.dn = Tensor.zeros(gpu, [n, d]);
    this.dAct = Tensor.zeros(gpu, [n, inter]);
    this.dGu = Tensor.zeros(gpu, [n, 2 * inter]);
    this.dAttn = Tensor.zeros(gpu, [n, dims.qWidth]);
    this.dQkv = Tensor.zeros(gpu, [n, dims.qkv]);
    this.dLogits = Tensor.zeros(gpu, [n, vocab]);
    this.gradQkv = Tensor.zeros(gpu, [dims.qkv, d]);
    this.gradGu = Tensor.zeros(gpu, [2 * inter, d]);
    this.loss = Tensor.zeros(gpu, [1]);
    this.rowLoss = Tensor.zeros(gpu, [n]);
    this.logProbs = Tensor.zeros(gpu, [n]);
    this.sampled = Tensor.zeros(gpu, [n], "i32");
    this.grad = createAttentionTexture(
      gpu,
      gradTextureTexels(dims.heads, dims.hd),
      seqLen,
      batch,
      "attention grad",
    );
  }

  /** Releases every buffer. */
  destroy(): void {
    for (const value of Object.values(this)) {
      if (value instanceof Tensor) value.destroy();
    }
    this.grad.texture.destroy();
  }
}
