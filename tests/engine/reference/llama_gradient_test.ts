import { llamaLoss, llamaLossAndGradients, type LossTargets } from "../../../engine/reference/llama_loss.ts";
import { assertGradient } from "./gradient_check.ts";
import { randomParams, tinyConfig, TOKENS } from "./tiny_llama.ts";

for (const tied of [false, true]) {
  Deno.test(`llamaLossAndGradients() matches finite differences for every parameter (${tied ? "tied" : "untied"})`, () => {
    const config = tinyConfig(tied);
    const params = randomParams(config);
    const targets: LossTargets = { weights: new Float64Array([1, 0.5, 0, 2, 0, 1, 1, 0, 1, 0]) };
    const { grads } = llamaLossAndGradients(config, params, TOKENS, targets);
    const f = () => llamaLoss(config, params, TOKENS, targets).loss;
    for (const [name, values] of params) assertGradient(name, f, values, grads.get(name)!);
  });
}

Deno.test("llamaLossAndGradients() matches finite differences with given labels at every position", () => {
  const config = tinyConfig(false);
  const params = randomParams(config, 5);
  const targets: LossTargets = { labels: new Int32Array([0, 10, 2, 2, 7, 1, 1, 9, 4, 3]) };
  const { grads } = llamaLossAndGradients(config, params, TOKENS, targets);
  const f = () => llamaLoss(config, params, TOKENS, targets).loss;
  for (
    const name of ["model.embed_tokens.weight", "model.layers.0.self_attn.k_proj.weight", "lm_head.weight"]
  ) {
    assertGradient(name, f, params.get(name)!, grads.get(name)!);
  }
});
