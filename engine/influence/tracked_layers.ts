/**
 * Which linear weights influence is computed over.
 *
 * @module
 */

import type { LlamaConfig } from "../model/config.ts";
import { BLOCK_LINEARS, type BlockLinear, linearName, LM_HEAD } from "../model/param_names.ts";
import { linearShape } from "../model/params.ts";

/** The MLP projections, tracked by default (as Ruis et al.). */
export const DEFAULT_TRACKED_MODULES: readonly BlockLinear[] = ["gate_proj", "up_proj", "down_proj"];

/** A tracked linear weight W [out, in] (HF `nn.Linear` layout). */
export interface TrackedLayer {
  /** HF weight name, e.g. `model.layers.0.mlp.up_proj.weight`. */
  name: string;
  /** Output width P (rows of W). */
  outDim: number;
  /** Input width M (columns of W). */
  inDim: number;
}

/**
 * The weight names of the given modules in every block, in forward order (block by block, each
 * block's linears in {@link ../model/param_names.ts BLOCK_LINEARS} order).
 *
 * @param config The model configuration.
 * @param modules Module kinds; the MLP projections by default.
 * @returns HF weight names.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLlamaConfig } from "../model/config.ts";
 * import { trackedLayerNames } from "./tracked_layers.ts";
 * const config = parseLlamaConfig({
 *   hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, vocab_size: 11,
 * });
 * assert.deepEqual(trackedLayerNames(config, ["down_proj"]), [
 *   "model.layers.0.mlp.down_proj.weight",
 *   "model.layers.1.mlp.down_proj.weight",
 * ]);
 * ```
 */
export function trackedLayerNames(
  config: LlamaConfig,
  modules: readonly BlockLinear[] = DEFAULT_TRACKED_MODULES,
): string[] {
  const names: string[] = [];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const linear of BLOCK_LINEARS) if (modules.includes(linear)) names.push(linearName(layer, linear));
  }
  return names;
}

/**
 * Resolves tracked weight names to their shapes, in forward order (lm_head last).
 *
 * @param config The model configuration.
 * @param names HF names of block linear weights, or `lm_head.weight` when it is not tied.
 * @returns One entry per distinct name, in forward order.
 * @throws {RangeError} When a name is not a linear weight of this model, or is the tied lm_head.
 */
export function resolveTrackedLayers(config: LlamaConfig, names: readonly string[]): TrackedLayer[] {
  const layers = new Map<string, TrackedLayer>();
  const rank = new Map<string, number>();
  for (const name of names) {
    if (name === LM_HEAD) {
      if (config.tieWordEmbeddings) {
        throw new RangeError(`Cannot track "${name}": it is tied to the embedding in this model`);
      }
      layers.set(name, { name, outDim: config.vocabSize, inDim: config.hiddenSize });
      rank.set(name, Infinity);
      continue;
    }
    const match = /^model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.weight$/.exec(name);
    const layer = Number(match?.[1]);
    const linear = match?.[2] as BlockLinear;
    if (match === null || layer >= config.numHiddenLayers || linearName(layer, linear) !== name) {
      throw new RangeError(`Cannot track "${name}": not a linear weight of this model`);
    }
    const [outDim, inDim] = linearShape(config, linear);
    layers.set(name, { name, outDim, inDim });
    rank.set(name, layer * BLOCK_LINEARS.length + BLOCK_LINEARS.indexOf(linear));
  }
  return [...layers.values()].sort((a, b) => rank.get(a.name)! - rank.get(b.name)!);
}
