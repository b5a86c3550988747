/**
 * The fine-tune backend on the float64 reference model (micro models and tests).
 *
 * @module
 */

import { nextTokenLabels } from "../../reference/cross_entropy.ts";
import { llamaBackward } from "../../reference/llama_backward.ts";
import { llamaForward } from "../../reference/llama_forward.ts";
import { llamaLossAndGradients } from "../../reference/llama_loss.ts";
import type { LayerMatrices } from "../cpu/influence_scores.ts";
import { queryGradient } from "../cpu/query_gradient.ts";
import type { ReferenceModel } from "../cpu/reference_model.ts";
import { resolveTrackedLayers, type TrackedLayer } from "../tracked_layers.ts";
import type { FineTuneBackend, MeasuredQuery, TrackedGradient } from "./fine_tune_backend.ts";
import { klToTargets, logSoftmaxRows } from "./kl_to_targets.ts";

/** {@linkcode FineTuneBackend} on the float64 reference model, one sequence at a time. */
export class ReferenceBackend implements FineTuneBackend {
  readonly layers: readonly TrackedLayer[];
  readonly final: ReadonlyMap<string, Float64Array>;
  readonly #model: ReferenceModel;
  readonly #params: Map<string, Float64Array>;
  readonly #fit: readonly Int32Array[];
  readonly #targets: Float64Array[];

  /**
   * @param model The model at its final weights (not modified: the backend works on a copy).
   * @param tracked Tracked weight names.
   * @param fit Fit sequences of the proximity term (each at least two tokens).
   * @throws {RangeError} When a name is unknown or a fit sequence is shorter than two tokens.
   */
  constructor(model: ReferenceModel, tracked: readonly string[], fit: readonly Int32Array[]) {
    this.layers = resolveTrackedLayers(model.config, tracked);
    this.#params = new Map([...model.params].map(([name, value]) => [name, value.slice()]));
    this.#model = { config: model.config, params: this.#params };
    this.final = new Map(this.layers.map(({ name }) => [name, model.params.get(name)!.slice()]));
    if (fit.some((ids) => ids.length < 2)) {
      throw new RangeError("ReferenceBackend: every fit sequence needs at least two tokens");
    }
    this.#fit = fit;
    const vocab = model.config.vocabSize;
    this.#targets = fit.map((ids) =>
      logSoftmaxRows(
        llamaForward(model.config, this.#params, { ids, batch: 1, seqLen: ids.length }).logits,
        vocab,
      )
    );
  }

  setTracked(values: LayerMatrices): void {
    for (const { name } of this.layers) this.#params.get(name)!.set(values.get(name)!);
  }

  documentsLoss(documents: readonly Int32Array[]): Promise<TrackedGradient> {
    const gradient = this.#zeros();
    let value = 0;
    for (const ids of documents) {
      const out = llamaLossAndGradients(
        this.#model.config,
        this.#params,
        { ids, batch: 1, seqLen: ids.length },
        {},
        {
          record: () => false,
        },
      );
      value += out.loss;
      this.#accumulate(gradient, out.grads, 1);
    }
    return Promise.resolve({ value, gradient });
  }

  proximity(): Promise<TrackedGradient> {
    const { config } = this.#model;
    const gradient = this.#zeros();
    let value = 0;
    this.#fit.forEach((ids, i) => {
      const tokens = { ids, batch: 1, seqLen: ids.length };
      const acts = llamaForward(config, this.#params, tokens);
      const weights = Float64Array.from(nextTokenLabels(ids, 1, ids.length), (l) => (l < 0 ? 0 : 1));
      const { kl, dLogits } = klToTargets(acts.logits, this.#targets[i], weights, config.vocabSize);
      value += kl / this.#fit.length;
      const { grads } = llamaBackward(config, this.#params, acts, dLogits, { record: () => false });
      this.#accumulate(gradient, grads, 1 / this.#fit.length);
    });
    return Promise.resolve({ value, gradient });
  }

  measure(queries: readonly MeasuredQuery[]): Promise<Float64Array> {
    const names = this.layers.map((l) => l.name);
    return Promise.resolve(
      Float64Array.from(queries, (q) => -queryGradient(this.#model, q.prompt, q.completion, names).nats),
    );
  }

  #zeros(): Map<string, Float64Array> {
    return new Map(this.layers.map((l) => [l.name, new Float64Array(l.outDim * l.inDim)]));
  }

  #accumulate(into: Map<string, Float64Array>, grads: ReadonlyMap<string, Float64Array>, scale: number) {
    for (const [name, sum] of into) {
      const g = grads.get(name)!;
      for (let k = 0; k < sum.length; k++) sum[k] += scale * g[k];
    }
  }
}
