/**
 * Activation buffers of one forward pass over N = B·tq rows (tokens, batch-major), kept for the
 * backward pass and reused by every call with the same shape.
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import { Tensor } from "../tensor.ts";
import type { LlamaDims } from "./llama_dims.ts";

/** Activations of one decoder block. */
export interface BlockActivations {
  /** input_layernorm output [N, D] (input of q, k, v_proj). */
  n1: Tensor;
  /** Its inverse RMS [N]. */
  inv1: Tensor;
  /** Fused projection output [N, (H+2KV)·hd], q and k rotated in place. */
  qkv: Tensor;
  /** Attention output [N, H·hd] (input of o_proj). */
  attn: Tensor;
  /** Attention log-sum-exp [B, H, tq]. */
  lse: Tensor;
  /** Residual stream after attention [N, D]. */
  mid: Tensor;
  /** post_attention_layernorm output [N, D] (input of gate, up_proj). */
  n2: Tensor;
  /** Its inverse RMS [N]. */
  inv2: Tensor;
  /** Fused gate|up output [N, 2I]. */
  gu: Tensor;
  /** silu(gate)·up [N, I] (input of down_proj). */
  act: Tensor;
}

/** Every activation of a forward pass. */
export class ForwardBuffers {
  /** Sequences B. */
  readonly batch: number;
  /** Rows per sequence. */
  readonly tq: number;
  /** Rows N = B·tq. */
  readonly rows: number;
  /** Residual stream entering block l (x[0] = embeddings) and leaving the last block (x[L]), [N, D]. */
  readonly x: Tensor[];
  /** Per block. */
  readonly blocks: BlockActivations[];
  /** Final norm output [N, D] (input of lm_head). */
  readonly nf: Tensor;
  /** Its inverse RMS [N]. */
  readonly invf: Tensor;
  /** Logits [N, V]. */
  readonly logits: Tensor;

  /**
   * Allocates the buffers.
   *
   * @param gpu Device context.
   * @param dims Model widths.
   * @param batch Sequences B.
   * @param tq Rows per sequence.
   */
  constructor(gpu: Gpu, dims: LlamaDims, batch: number, tq: number) {
    const n = batch * tq, { d, inter, heads, vocab } = dims;
    this.batch = batch;
    this.tq = tq;
    this.rows = n;
    this.x = Array.from({ length: dims.layers + 1 }, () => Tensor.zeros(gpu, [n, d]));
    this.blocks = Array.from({ length: dims.layers }, () => ({
      n1: Tensor.zeros(gpu, [n, d]),
      inv1: Tensor.zeros(gpu, [n]),
      qkv: Tensor.zeros(gpu, [n, dims.qkv]),
      attn: Tensor.zeros(gpu, [n, dims.qWidth]),
      lse: Tensor.zeros(gpu, [batch * heads * tq]),
      mid: Tensor.zeros(gpu, [n, d]),
      n2: Tensor.zeros(gpu, [n, d]),
      inv2: Tensor.zeros(gpu, [n]),
      gu: Tensor.zeros(gpu, [n, 2 * inter]),
      act: Tensor.zeros(gpu, [n, inter]),
    }));
    this.nf = Tensor.zeros(gpu, [n, d]);
    this.invf = Tensor.zeros(gpu, [n]);
    this.logits = Tensor.zeros(gpu, [n, vocab]);
  }

  /** Releases every buffer. */
  destroy(): void {
    for (const t of this.x) t.destroy();
    for (const b of this.blocks) for (const t of Object.values(b)) t.destroy();
    for (const t of [this.nf, this.invf, this.logits]) t.destroy();
  }
}
