import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";
import {
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  type LayerEigenbasis,
  type PreconditionFactors,
  preconditionGradient,
  queryGradient,
  resolveDamping,
  truncateRank,
} from "../../../engine/influence/cpu/mod.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import { matmulF64 } from "../../../engine/influence/cpu/dense.ts";
import { symmetricEigen } from "../../../engine/influence/cpu/symmetric_eigen.ts";
import { llamaLossAndGradients } from "../../../engine/reference/llama_loss.ts";
import { microModel, randomSequences, relativeDifference, sampleLabels } from "./micro_model.ts";

const model = microModel({ hidden: 8, intermediate: 12, layers: 1 });
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);
const fit = randomSequences(7, "fit", 5, 6, model.config.vocabSize);
const rng = new Rng(7, "labels");
const covariances = fitCovariances(model, fit, sampleLabels(model, fit, rng), tracked);
const eigen = eigendecomposeCovariances(covariances);
const fresh = sampleLabels(model, fit, rng);
const lambda = fitLambda(model, fit, fresh, tracked, eigen);
const factors: PreconditionFactors = { eigen, lambda };
const query = queryGradient(model, new Int32Array([1, 4, 2]), new Int32Array([7, 3]), tracked);

/** Solves M x = b densely (Gaussian elimination with partial pivoting), independent of the engine. */
function denseSolve(matrix: Float64Array, b: Float64Array): Float64Array {
  const n = b.length, m = matrix.slice(), x = b.slice();
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[pivot * n + col])) pivot = r;
    for (let c = 0; c < n; c++) [m[col * n + c], m[pivot * n + c]] = [m[pivot * n + c], m[col * n + c]];
    [x[col], x[pivot]] = [x[pivot], x[col]];
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / m[col * n + col];
      for (let c = col; c < n; c++) m[r * n + c] -= f * m[col * n + c];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    for (let c = r + 1; c < n; c++) x[r] -= m[r * n + c] * x[c];
    x[r] /= m[r * n + r];
  }
  return x;
}

/** Kronecker product X ⊗ Y of square matrices, [nx·ny, nx·ny]. */
function kron(x: Float64Array, nx: number, y: Float64Array, ny: number): Float64Array {
  const n = nx * ny, k = new Float64Array(n * n);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < nx; j++) {
      for (let p = 0; p < ny; p++) {
        for (let q = 0; q < ny; q++) k[(i * ny + p) * n + j * ny + q] = x[i * nx + j] * y[p * ny + q];
      }
    }
  }
  return k;
}

/** Column-major vec of W [out, in] (index i·out + o, the literature's vec) and its inverse. */
const vec = (w: Float64Array, out: number, inDim: number) =>
  Float64Array.from({ length: out * inDim }, (_, k) => w[(k % out) * inDim + Math.floor(k / out)]);
const unvec = (v: Float64Array, out: number, inDim: number) =>
  Float64Array.from({ length: out * inDim }, (_, k) => v[(k % inDim) * out + Math.floor(k / inDim)]);

/** (Q_A ⊗ Q_S) diag(vec(E + λ)) (Q_A ⊗ Q_S)ᵀ for an eigenvalue matrix E [out, in] (column-major vec). */
function denseCurvature(basis: LayerEigenbasis, eigenvalues: Float64Array, lambda: number): Float64Array {
  const { outDim, inDim } = basis, n = outDim * inDim;
  const k = kron(basis.qa, inDim, basis.qs, outDim);
  const d = vec(eigenvalues, outDim, inDim).map((v) => v + lambda);
  const kd = k.map((v, idx) => v * d[idx % n]);
  return matmulF64(kd, k, n, n, n, false, true);
}

Deno.test("EK-FAC preconditioning equals the dense inverse of (Q_A ⊗ Q_S) diag(Λ + λ) (Q_A ⊗ Q_S)ᵀ", () => {
  const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, factors);
  const factored = preconditionGradient("ekfac", layers, query.gradient, factors, damping);
  for (const { name, outDim, inDim } of layers) {
    const dense = denseCurvature(eigen.get(name)!, lambda.get(name)!.lambda!, damping.get(name)!);
    const expected = unvec(denseSolve(dense, vec(query.gradient.get(name)!, outDim, inDim)), outDim, inDim);
    const error = relativeDifference(factored.get(name)!, expected);
    assert.ok(error < 1e-6, `${name}: relative error ${error}`);
  }
});

Deno.test("K-FAC preconditioning equals the dense inverse of (T/N_seq)·(A ⊗ S) + λI", () => {
  const damping = resolveDamping("kfac", { mode: "absolute", value: 3e-3 }, factors);
  const factored = preconditionGradient("kfac", layers, query.gradient, factors, damping);
  for (const { name, outDim, inDim } of layers) {
    const c = covariances.get(name)!, scale = c.tokens / c.sequences, n = outDim * inDim;
    const dense = kron(c.a, inDim, c.s, outDim).map((v, idx) => scale * v + (idx % (n + 1) === 0 ? 3e-3 : 0));
    const expected = unvec(denseSolve(dense, vec(query.gradient.get(name)!, outDim, inDim)), outDim, inDim);
    const error = relativeDifference(factored.get(name)!, expected);
    assert.ok(error < 1e-6, `${name}: relative error ${error}`);
  }
});

Deno.test("diagonal preconditioning divides by the per-sequence mean of squared gradients plus λ", () => {
  const damping = resolveDamping("diagonal", { mode: "heuristic", factor: 0.1 }, factors);
  const factored = preconditionGradient("diagonal", layers, query.gradient, factors, damping);
  for (const { name } of layers) {
    const d = new Float64Array(query.gradient.get(name)!.length);
    fit.forEach((ids, s) => {
      const { grads } = llamaLossAndGradients(model.config, model.params, {
        ids,
        batch: 1,
        seqLen: ids.length,
      }, {
        labels: fresh[s],
      });
      grads.get(name)!.forEach((g, k) => (d[k] += g * g / fit.length));
    });
    const lambdaValue = 0.1 * d.reduce((a, b) => a + b) / d.length;
    assert.ok(Math.abs(damping.get(name)! - lambdaValue) < 1e-12 * lambdaValue);
    const expected = query.gradient.get(name)!.map((v, k) => v / (d[k] + lambdaValue));
    assert.ok(relativeDifference(factored.get(name)!, expected) < 1e-12, name);
  }
});

Deno.test("identity preconditioning returns the gradient itself, undamped", () => {
  const p = preconditionGradient("identity", layers, query.gradient, {}, new Map());
  assert.deepEqual(p, query.gradient);
  assert.equal(resolveDamping("identity", { mode: "heuristic", factor: 0.1 }, {}).size, 0);
});

Deno.test("every preconditioner is symmetric: ⟨P(V), X⟩ = ⟨V, P(X)⟩", () => {
  const other = queryGradient(model, new Int32Array([9, 9]), new Int32Array([0, 5, 6]), tracked).gradient;
  for (const strategy of ["diagonal", "kfac", "ekfac"] as const) {
    const damping = resolveDamping(strategy, { mode: "heuristic", factor: 0.1 }, factors);
    const pv = preconditionGradient(strategy, layers, query.gradient, factors, damping);
    const px = preconditionGradient(strategy, layers, other, factors, damping);
    for (const { name } of layers) {
      const left = pv.get(name)!.reduce((s, v, k) => s + v * other.get(name)![k], 0);
      const right = px.get(name)!.reduce((s, v, k) => s + v * query.gradient.get(name)![k], 0);
      assert.ok(Math.abs(left - right) < 1e-10 * Math.abs(left), `${strategy} ${name}`);
    }
  }
});

Deno.test("truncateRank() gives the Eckart-Young error, shrinking with k and exact at full rank", () => {
  const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, factors);
  const full = preconditionGradient("ekfac", layers, query.gradient, factors, damping);
  for (const { name, outDim, inDim } of layers) {
    const p = full.get(name)!, side = Math.min(outDim, inDim);
    const gram = outDim <= inDim
      ? matmulF64(p, p, outDim, inDim, outDim, false, true)
      : matmulF64(p, p, inDim, outDim, inDim, true);
    const sigma2 = symmetricEigen(gram, side).values.toReversed();
    let previous = Infinity;
    for (let k = 1; k <= side; k++) {
      const error = p.reduce((s, v, idx) => s + (v - truncateRank(p, outDim, inDim, k)[idx]) ** 2, 0);
      const expected = sigma2.slice(k).reduce((s, v) => s + Math.max(v, 0), 0);
      assert.ok(Math.abs(error - expected) < 1e-9 * sigma2[0], `${name} rank ${k}`);
      assert.ok(error <= previous);
      previous = error;
    }
    assert.deepEqual(truncateRank(p, outDim, inDim, side), p);
  }
  const truncated = preconditionGradient("ekfac", layers, query.gradient, factors, damping, { rank: 2 });
  const name = layers[0].name;
  assert.deepEqual(truncated.get(name), truncateRank(full.get(name)!, layers[0].outDim, layers[0].inDim, 2));
});

Deno.test("block-diagonal factors: 1 block equals the full fit, 2 blocks keep Q_A and Q_S block-diagonal", () => {
  const labels = sampleLabels(model, fit, new Rng(1, "blocks"));
  const full = fitCovariances(model, fit, labels, tracked);
  assert.deepEqual(fitCovariances(model, fit, labels, tracked, { blocks: 1 }), full);
  const halves = fitCovariances(model, fit, labels, tracked, { blocks: 2 });
  const bases = eigendecomposeCovariances(halves);
  for (const { name, outDim, inDim } of layers) {
    const c = full.get(name)!, h = halves.get(name)!;
    for (const [matrix, half, n] of [[c.a, h.a, inDim], [c.s, h.s, outDim]] as const) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const same = (i < n / 2) === (j < n / 2);
          assert.equal(half[i * n + j], same ? matrix[i * n + j] : 0);
        }
      }
    }
    const b = bases.get(name)!;
    for (const [q, n] of [[b.qa, inDim], [b.qs, outDim]] as const) {
      for (let j = 0; j < n; j++) {
        // Each eigenvector lives in one block: its components in the other block are exactly zero.
        const column = Array.from({ length: n }, (_, r) => q[r * n + j]);
        const inFirst = column.slice(0, n / 2).some((v) => v !== 0);
        const inSecond = column.slice(n / 2).some((v) => v !== 0);
        assert.ok(inFirst !== inSecond, `${name} column ${j}`);
      }
    }
  }
  const odd = microModel({ hidden: 4, intermediate: 6, layers: 1 });
  assert.throws(
    () => fitCovariances(odd, fit, labels, trackedLayerNames(odd.config), { blocks: 4 }),
    /not divisible into 4 blocks/,
  );
});
