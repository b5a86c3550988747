/**
 * A Llama model's parameters and gradients on the device, plus the fused projection weights the
 * passes multiply with (q|k|v stacked as [(H + 2·KV)·hd, D], gate|up as [2·I, D]).
 *
 * @module
 */
import type { Gpu } from "../gpu.ts";
import type { LlamaConfig } from "../model/config.ts";
import {
  EMBED_TOKENS,
  FINAL_NORM,
  inputNormName,
  linearName,
  LM_HEAD,
  postAttentionNormName,
} from "../model/param_names.ts";
import { assertParamLayout, paramSpecs } from "../model/params.ts";
import { Tensor } from "../tensor.ts";
import { type LlamaDims, llamaDims } from "./llama_dims.ts";

/** Tensors of one decoder block (parameters, or their gradients). */
export interface BlockTensors {
  /** input_layernorm gain [D]. */
  inputNorm: Tensor;
  /** q_proj [H·hd, D]. */
  q: Tensor;
  /** k_proj [KV·hd, D]. */
  k: Tensor;
  /** v_proj [KV·hd, D]. */
  v: Tensor;
  /** o_proj [D, H·hd]. */
  o: Tensor;
  /** post_attention_layernorm gain [D]. */
  postNorm: Tensor;
  /** gate_proj [I, D]. */
  gate: Tensor;
  /** up_proj [I, D]. */
  up: Tensor;
  /** down_proj [D, I]. */
  down: Tensor;
}

function block(map: ReadonlyMap<string, Tensor>, layer: number): BlockTensors {
  const get = (name: string) => map.get(name)!;
  return {
    inputNorm: get(inputNormName(layer)),
    q: get(linearName(layer, "q_proj")),
    k: get(linearName(layer, "k_proj")),
    v: get(linearName(layer, "v_proj")),
    o: get(linearName(layer, "o_proj")),
    postNorm: get(postAttentionNormName(layer)),
    gate: get(linearName(layer, "gate_proj")),
    up: get(linearName(layer, "up_proj")),
    down: get(linearName(layer, "down_proj")),
  };
}

/** Parameters, gradients and fused weights of a Llama model. */
export class LlamaWeights {
  /** The device. */
  readonly gpu: Gpu;
  /** Widths. */
  readonly dims: LlamaDims;
  /** Whether lm_head is the embedding. */
  readonly tied: boolean;
  /** Parameters by HF name, in `paramSpecs` order. */
  readonly params: Map<string, Tensor>;
  /** Gradients, same keys and shapes. */
  readonly grads: Map<string, Tensor>;
  /** Per block: parameters, gradients, fused q|k|v [(H+2KV)·hd, D] and gate|up [2I, D] weights. */
  readonly blocks: { params: BlockTensors; grads: BlockTensors; qkv: Tensor; gateUp: Tensor }[];

  /**
   * Uploads parameters.
   *
   * @param gpu Device context.
   * @param config The model configuration.
   * @param params f32 parameters by HF name, laid out as `paramSpecs(config)`.
   * @throws {RangeError} When a parameter is missing, unexpected or wrongly sized.
   */
  constructor(gpu: Gpu, config: LlamaConfig, params: ReadonlyMap<string, Float32Array>) {
    assertParamLayout(config, params, "Cannot build GpuLlama");
    this.gpu = gpu;
    this.dims = llamaDims(config);
    this.tied = config.tieWordEmbeddings;
    this.params = new Map();
    this.grads = new Map();
    for (const spec of paramSpecs(config)) {
      this.params.set(spec.name, Tensor.from(gpu, params.get(spec.name)!, spec.shape));
      this.grads.set(spec.name, Tensor.zeros(gpu, spec.shape));
    }
    const { d, inter, qkv } = this.dims;
    this.blocks = Array.from({ length: this.dims.layers }, (_, layer) => ({
      params: block(this.params, layer),
      grads: block(this.grads, layer),
      qkv: Tensor.zeros(gpu, [qkv, d]),
      gateUp: Tensor.zeros(gpu, [2 * inter, d]),
    }));
  }

  /** Token embedding [V, D]. */
  get embed(): Tensor {
    return this.params.get(EMBED_TOKENS)!;
  }

  /** The logit projection [V, D]: lm_head, or the embedding when tied. */
  get head(): Tensor {
    return this.params.get(this.tied ? EMBED_TOKENS : LM_HEAD)!;
  }

  /** Final norm gain [D]. */
  get finalNorm(): Tensor {
    return this.params.get(FINAL_NORM)!;
  }

  /** Gradient of the logit projection (the embedding's gradient when tied). */
  get headGrad(): Tensor {
    return this.grads.get(this.tied ? EMBED_TOKENS : LM_HEAD)!;
  }

  /**
   * Records copying the current q, k, v and gate, up parameters into the fused weights (the
   * optimiser updates the per-name tensors in place).
   */
  refreshFused(): void {
    for (const b of this.blocks) {
      stack(this.gpu, [b.params.q, b.params.k, b.params.v], b.qkv);
      stack(this.gpu, [b.params.gate, b.params.up], b.gateUp);
    }
  }

  /**
   * Records copying row blocks of a fused gradient into the per-name gradients.
   *
   * @param fused Stacked gradient ([(H+2KV)·hd, D] or [2I, D]).
   * @param parts The per-name gradients, in stacking order.
   */
  unstack(fused: Tensor, parts: readonly Tensor[]): void {
    let offset = 0;
    for (const part of parts) {
      this.gpu.copyBuffer(fused.buffer, offset, part.buffer, 0, part.byteLength);
      offset += part.byteLength;
    }
  }

  /** Releases every tensor. */
  destroy(): void {
    for (const t of [...this.params.values(), ...this.grads.values()]) t.destroy();
    for (const b of this.blocks) {
      b.qkv.destroy();
      b.gateUp.destroy();
    }
  }
}

/** Records copying `parts` one after another into `fused` (row blocks of the same width). */
function stack(gpu: Gpu, parts: readonly Tensor[], fused: Tensor): void {
  let offset = 0;
  for (const part of parts) {
    gpu.copyBuffer(part.buffer, 0, fused.buffer, offset, part.byteLength);
    offset += part.byteLength;
  }
}
