/**
 * Counterfactual fine-tunes from a model's final weights, on the tracked weights only, and the change
 * of each query's measurement f = log p(completion | prompt) they cause (docs/method.md, "Counterfactual
 * checks").
 *
 * Two protocols:
 *
 * - `gradient`: `steps` plain gradient steps θ ← θ − lr ∇Σ_x L(x, θ) on the documents' summed loss. For
 *   a small lr the change of f is lr × Σ_x (identity score of x) to first order.
 * - `pbrf`: the proximal Bregman response function (Bae et al. 2022), approximately: from θ_final,
 *   minimise h(θ) = (1/N) Σ_fit Σ_t KL(p_final ‖ p_θ) + ε Σ_x L(x, θ) + Σ_m λ_m/2 ‖θ_m − θ_final,m‖²
 *   with λ_m the influence damping of module m. Its Hessian at θ_final is G + Λ_damp, so for a small ε
 *   the response is θ* − θ_final ≈ −ε (G + Λ_damp)⁻¹ Σ_x ∇L(x) and the change of f is ε × Σ_x I(q, x)
 *   with I the damped influence of the exact Gauss-Newton matrix, which EK-FAC approximates.
 *   Solved by heavy-ball gradient descent with Polyak's parameters for a quadratic whose curvature
 *   lies in [μ, L]: μ = min λ_m (the damping bounds the curvature from below) and L from power
 *   iteration on the proximity term's Hessian-vector products (gradient differences at θ_final), times a
 *   safety factor. Only gradients are used: in float32 the objective's value is far below rounding.
 *
 * @module
 */

import type { LayerMatrices } from "../cpu/influence_scores.ts";
import type { FineTuneBackend, MeasuredQuery } from "./fine_tune_backend.ts";

/** Plain gradient steps on the documents' summed loss. */
export interface GradientProtocol {
  /** Protocol name. */
  protocol: "gradient";
  /** Step size lr (per nat of summed document loss). */
  lr: number;
  /** Number of steps (1: the linear regime's one step). */
  steps: number;
}

/** The PBRF objective, minimised by heavy-ball gradient descent. */
export interface PbrfProtocol {
  /** Protocol name. */
  protocol: "pbrf";
  /** Weight ε of the documents' summed loss. */
  epsilon: number;
  /** Heavy-ball iterations (each: one proximity and one document gradient). */
  iterations: number;
  /** λ_m per tracked weight name (the influence damping). */
  damping: ReadonlyMap<string, number>;
}

/** A fine-tune protocol. */
export type FineTuneProtocol = GradientProtocol | PbrfProtocol;

/** Curvature bounds of the PBRF objective, from {@linkcode pbrfCurvature}. */
export interface PbrfCurvature {
  /** Lower bound μ = min λ_m. */
  mu: number;
  /** Upper bound L: the power-iteration estimate of the largest eigenvalue of G + Λ_damp × safety. */
  lipschitz: number;
  /** The raw power-iteration estimate (Rayleigh quotient). */
  estimate: number;
}

/** Diagnostics of one fine-tune. */
export interface FineTuneResult {
  /** θ − θ_final per tracked weight name. */
  delta: Map<string, Float64Array>;
  /** ‖θ − θ_final‖₂ over all tracked weights. */
  deltaNorm: number;
  /**
   * PBRF only: ‖∇h(θ_end)‖ / ‖∇h(θ_final)‖, the gradient norm left relative to where it started (0:
   * converged); NaN for the gradient protocol.
   */
  residual: number;
}

/** Power iterations for the curvature's upper bound. */
const POWER_ITERATIONS = 10;
/** The estimate is multiplied by this (power iteration approaches the top eigenvalue from below). */
const LIPSCHITZ_SAFETY = 1.5;
/** Finite-difference displacement of the Hessian-vector products, relative to ‖θ_final‖. */
const DISPLACEMENT = 1e-3;

/**
 * Bounds on the curvature of the PBRF objective: μ = min λ_m, and L from power iteration on
 * (G + Λ_damp) v with G v ≈ ∇(proximity)(θ_final + s v) / s (the proximity's gradient is zero at
 * θ_final). The start vector is deterministic (a fixed pattern), so the estimate is too. Leaves the
 * backend at θ_final.
 *
 * @param backend The model.
 * @param damping λ_m per tracked weight name.
 * @returns μ, L and the raw estimate.
 * @throws {RangeError} When a layer has no positive damping.
 */
export async function pbrfCurvature(
  backend: FineTuneBackend,
  damping: ReadonlyMap<string, number>,
): Promise<PbrfCurvature> {
  const lambdas = backend.layers.map(({ name }) => {
    const lambda = damping.get(name);
    if (!(lambda !== undefined && lambda > 0)) {
      throw new RangeError(`pbrfCurvature(): no positive damping for ${name}, got ${lambda}`);
    }
    return lambda;
  });
  const final = backend.final;
  const scale = DISPLACEMENT * norm(final);
  // A deterministic start vector with components on every weight.
  let v: Map<string, Float64Array> = new Map(backend.layers.map((l) => [
    l.name,
    Float64Array.from({ length: l.outDim * l.inDim }, (_, k) => Math.sin(1 + 0.7 * k + l.outDim)),
  ]));
  v = scaled(v, 1 / norm(v));
  let estimate = 0;
  for (let i = 0; i < POWER_ITERATIONS; i++) {
    backend.setTracked(combine(final, v, scale));
    const { gradient } = await backend.proximity();
    const hv = new Map(backend.layers.map((l, m) => {
      const g = gradient.get(l.name)!, x = v.get(l.name)!;
      return [l.name, g.map((gk, k) => gk / scale + lambdas[m] * x[k])];
    }));
    estimate = dot(v, hv);
    v = scaled(hv, 1 / norm(hv));
  }
  backend.setTracked(final);
  return { mu: Math.min(...lambdas), lipschitz: LIPSCHITZ_SAFETY * estimate, estimate };
}

/**
 * Fine-tunes the tracked weights on the documents from θ_final with the protocol, and leaves the
 * backend at the result.
 *
 * @param backend The model (at θ_final).
 * @param documents Token ids of the documents (each at least two tokens).
 * @param protocol The protocol.
 * @param curvature PBRF only: from {@linkcode pbrfCurvature} (computed once per backend and damping).
 * @returns θ − θ_final and diagnostics.
 * @throws {RangeError} When a setting is out of range or the PBRF lacks its curvature.
 */
export async function fineTune(
  backend: FineTuneBackend,
  documents: readonly Int32Array[],
  protocol: FineTuneProtocol,
  curvature?: PbrfCurvature,
): Promise<FineTuneResult> {
  const final = backend.final;
  let theta: Map<string, Float64Array> = new Map([...final].map(([name, w]) => [name, w.slice()]));
  backend.setTracked(theta);
  let residual = NaN;
  if (protocol.protocol === "gradient") {
    const { lr, steps } = protocol;
    if (!(lr > 0) || !Number.isInteger(steps) || steps < 1) {
      throw new RangeError(
        `fineTune(): gradient protocol needs lr > 0 and steps ≥ 1, got ${lr} and ${steps}`,
      );
    }
    for (let s = 0; s < steps; s++) {
      const { gradient } = await backend.documentsLoss(documents);
      theta = combine(theta, gradient, -lr);
      backend.setTracked(theta);
    }
  } else {
    const { epsilon, iterations, damping } = protocol;
    if (!(epsilon > 0) || !Number.isInteger(iterations) || iterations < 1) {
      throw new RangeError(
        `fineTune(): pbrf protocol needs epsilon > 0 and iterations ≥ 1, got ${epsilon} and ${iterations}`,
      );
    }
    if (curvature === undefined) throw new RangeError("fineTune(): the pbrf protocol needs its curvature");
    const { mu, lipschitz } = curvature;
    const sl = Math.sqrt(lipschitz), sm = Math.sqrt(mu);
    const alpha = 4 / (sl + sm) ** 2, beta = ((sl - sm) / (sl + sm)) ** 2;
    const gradientAt = async () => {
      const prox = await backend.proximity();
      const docs = await backend.documentsLoss(documents);
      return new Map(backend.layers.map(({ name }) => {
        const p = prox.gradient.get(name)!, d = docs.gradient.get(name)!;
        const w = theta.get(name)!, w0 = final.get(name)!, lambda = damping.get(name)!;
        return [name, p.map((pk, k) => pk + epsilon * d[k] + lambda * (w[k] - w0[k]))];
      }));
    };
    let previous = theta;
    let g = await gradientAt();
    const start = norm(g);
    for (let i = 0; i < iterations; i++) {
      const next = new Map(backend.layers.map(({ name }) => {
        const w = theta.get(name)!, wp = previous.get(name)!, gk = g.get(name)!;
        return [name, w.map((x, k) => x - alpha * gk[k] + beta * (x - wp[k]))];
      }));
      previous = theta;
      theta = next;
      backend.setTracked(theta);
      g = await gradientAt();
    }
    residual = norm(g) / start;
  }
  const delta = new Map([...theta].map(([name, w]) => {
    const w0 = final.get(name)!;
    return [name, w.map((x, k) => x - w0[k])];
  }));
  return { delta, deltaNorm: norm(delta), residual };
}

/**
 * The change Δf = f(θ_tuned) − f(θ_final) of each query that a fine-tune on the documents causes;
 * the backend is back at θ_final afterwards.
 *
 * @param backend The model (at θ_final).
 * @param documents The documents.
 * @param queries The queries measured.
 * @param baseline f(θ_final) of the queries (from `backend.measure`).
 * @param protocol The protocol.
 * @param curvature PBRF only: its curvature bounds.
 * @returns Δf per query (nats) and the fine-tune's diagnostics.
 */
export async function measureChange(
  backend: FineTuneBackend,
  documents: readonly Int32Array[],
  queries: readonly MeasuredQuery[],
  baseline: Float64Array,
  protocol: FineTuneProtocol,
  curvature?: PbrfCurvature,
): Promise<{ change: Float64Array; result: FineTuneResult }> {
  const result = await fineTune(backend, documents, protocol, curvature);
  const after = await backend.measure(queries);
  backend.setTracked(backend.final);
  return { change: after.map((f, q) => f - baseline[q]), result };
}

function combine(a: LayerMatrices, b: LayerMatrices, scale: number): Map<string, Float64Array> {
  return new Map([...a].map(([name, x]) => {
    const y = b.get(name)!;
    return [name, x.map((v, k) => v + scale * y[k])];
  }));
}

function scaled(a: LayerMatrices, scale: number): Map<string, Float64Array> {
  return new Map([...a].map(([name, x]) => [name, x.map((v) => v * scale)]));
}

function dot(a: LayerMatrices, b: LayerMatrices): number {
  let sum = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let k = 0; k < x.length; k++) sum += x[k] * y[k];
  }
  return sum;
}

function norm(a: LayerMatrices): number {
  return Math.sqrt(dot(a, a));
}
