import assert from "node:assert/strict";
import { parseLlamaConfig } from "../../../engine/model/config.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import { Rng } from "../../../engine/model/prng.ts";
import {
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  queryGradient,
} from "../../../engine/influence/cpu/mod.ts";
import { microModel, randomSequences, sampleLabels } from "./micro_model.ts";

const json = {
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: 11,
};
const config = parseLlamaConfig(json);

Deno.test("trackedLayerNames() defaults to the MLP projections of every block, in forward order", () => {
  assert.deepEqual(trackedLayerNames(config), [
    "model.layers.0.mlp.gate_proj.weight",
    "model.layers.0.mlp.up_proj.weight",
    "model.layers.0.mlp.down_proj.weight",
    "model.layers.1.mlp.gate_proj.weight",
    "model.layers.1.mlp.up_proj.weight",
    "model.layers.1.mlp.down_proj.weight",
  ]);
});

Deno.test("resolveTrackedLayers() gives [out, in] shapes in forward order and rejects unknown names", () => {
  const layers = resolveTrackedLayers(config, [
    "lm_head.weight",
    "model.layers.1.mlp.down_proj.weight",
    "model.layers.0.self_attn.k_proj.weight",
    "model.layers.0.self_attn.k_proj.weight",
  ]);
  assert.deepEqual(layers.map((l) => [l.name, l.outDim, l.inDim]), [
    ["model.layers.0.self_attn.k_proj.weight", 4, 8],
    ["model.layers.1.mlp.down_proj.weight", 8, 12],
    ["lm_head.weight", 11, 8],
  ]);
  assert.throws(
    () => resolveTrackedLayers(config, ["model.layers.2.mlp.up_proj.weight"]),
    /not a linear weight/,
  );
  assert.throws(() => resolveTrackedLayers(config, ["model.norm.weight"]), /not a linear weight/);
  assert.throws(
    () => resolveTrackedLayers(config, ["model.layers.0.mlp.q_proj.weight"]),
    /not a linear weight/,
  );
  const tied = parseLlamaConfig({ ...json, tie_word_embeddings: true });
  assert.throws(() => resolveTrackedLayers(tied, ["lm_head.weight"]), /tied/);
});

Deno.test("attention projections and lm_head can be tracked through the whole factor fit", () => {
  const model = microModel({ hidden: 4, intermediate: 6 });
  const tracked = [
    "model.layers.1.self_attn.q_proj.weight",
    "model.layers.0.self_attn.o_proj.weight",
    "lm_head.weight",
  ];
  const fit = randomSequences(2, "fit", 3, 5, 11);
  const rng = new Rng(2, "labels");
  const eigen = eigendecomposeCovariances(fitCovariances(model, fit, sampleLabels(model, fit, rng), tracked));
  const lambda = fitLambda(model, fit, sampleLabels(model, fit, rng), tracked, eigen);
  assert.deepEqual([...eigen.keys()], [tracked[1], tracked[0], tracked[2]]);
  assert.deepEqual([...lambda.values()].map((l) => l.lambda!.length), [16, 16, 44]);
  const { gradient } = queryGradient(model, new Int32Array([1, 2]), new Int32Array([3]), tracked);
  assert.deepEqual([...gradient.keys()], [tracked[1], tracked[0], tracked[2]]);
});
