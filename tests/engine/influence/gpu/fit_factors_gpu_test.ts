import assert from "node:assert/strict";
import { Rng } from "../../../../engine/model/prng.ts";
import {
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  pseudoGradients,
  singleSequence,
} from "../../../../engine/influence/cpu/mod.ts";
import { llamaLossAndGradients } from "../../../../engine/reference/llama_loss.ts";
import {
  CovarianceAccumulator,
  eigendecomposeCovariancesGpu,
  finishCovariances,
  finishLambda,
  LambdaAccumulator,
  sequenceGradientTensors,
} from "../../../../engine/influence/gpu/mod.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../../engine/influence/tracked_layers.ts";
import { readTensors, Tensor } from "../../../../engine/tensor.ts";
import { recordSequenceGradients } from "../../../../engine/influence/gpu/sequence_gradients.ts";
import { hasAdapter, testGpu } from "../../support.ts";
import { microModel, randomSequences, sampleLabels } from "../micro_model.ts";
import { concatRecords, fitRecords, relativeMaxError, uploadBatch } from "./fixture.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

const model = microModel({ hidden: 8, intermediate: 16 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);
// Five sequences of 8 tokens and one of 5: batch-major runs of equal length, and a shorter one.
const fit = [...randomSequences(21, "fit", 5, 8, vocab), ...randomSequences(21, "short", 1, 5, vocab)];
const labels = sampleLabels(model, fit, new Rng(21, "labels-1"));
labels[1][3] = -1; // a position without a loss term: out of A, S and T
const fresh = sampleLabels(model, fit, new Rng(21, "labels-2"));
const fitted = labels.map((row) => Array.from(row, (label, t) => (label >= 0 && t + 1 < row.length ? 1 : 0)));
const records = fitRecords(model, fit, labels, layers);

Deno.test({
  name: "CovarianceAccumulator matches fitCovariances over several batches with a masked position",
  ignore: !hasAdapter,
  fn: async () => {
    for (const blocks of [1, 2] as const) {
      const reference = fitCovariances(model, fit, labels, tracked, { blocks });
      const accumulator = new CovarianceAccumulator(gpu!, layers, { blocks });
      accumulator.add(
        uploadBatch(gpu!, concatRecords(records.slice(0, 4), layers, fitted.slice(0, 4)), true),
      );
      accumulator.add(uploadBatch(gpu!, concatRecords(records.slice(4), layers, fitted.slice(4)), true));
      const got = await accumulator.read();
      assert.deepEqual([...got.keys()], tracked);
      for (const [name, ref] of reference) {
        const c = got.get(name)!;
        assert.deepEqual([c.tokens, c.sequences, c.blocks], [ref.tokens, ref.sequences, blocks]);
        // f32 inputs and GEMM: measured ≤ 2e-7 relative to the largest entry.
        assert.ok(relativeMaxError(c.a, ref.a) <= 2e-6, `A of ${name}: ${relativeMaxError(c.a, ref.a)}`);
        assert.ok(relativeMaxError(c.s, ref.s) <= 2e-6, `S of ${name}: ${relativeMaxError(c.s, ref.s)}`);
        for (let i = 0; i < c.inDim * c.inDim; i++) {
          if (ref.a[i] === 0) assert.equal(c.a[i], 0); // outside the blocks
        }
      }
      accumulator.destroy();
    }
  },
});

Deno.test({
  name: "CovarianceAccumulator adds dense batches and single factors, and applies the default row rule",
  ignore: !hasAdapter,
  fn: async () => {
    const host = concatRecords(records.slice(0, 3), layers);
    const everyRow = new CovarianceAccumulator(gpu!, layers);
    everyRow.add({ ...uploadBatch(gpu!, host), fitted: new Uint8Array(host.rows).fill(1) }, "a");
    everyRow.add({ ...uploadBatch(gpu!, host), fitted: new Uint8Array(host.rows).fill(1) }, "s");
    const byRule = new CovarianceAccumulator(gpu!, layers);
    byRule.add(uploadBatch(gpu!, host)); // default: every row of a sequence but its last
    const [dense, rule] = [await everyRow.read(), await byRule.read()];
    assert.equal(dense.get(tracked[0])!.tokens, host.rows);
    assert.equal(rule.get(tracked[0])!.tokens, host.rows - 3);
    const { name, inDim } = layers[2], { a } = host.records.get(name)!;
    const gram = (include: (row: number) => boolean, count: number) => {
      const out = new Float64Array(inDim * inDim);
      for (let r = 0; r < host.rows; r++) {
        if (!include(r)) continue;
        for (let i = 0; i < inDim; i++) {
          for (let j = 0; j < inDim; j++) out[i * inDim + j] += a[r * inDim + i] * a[r * inDim + j];
        }
      }
      return out.map((v) => v / count);
    };
    assert.ok(relativeMaxError(dense.get(name)!.a, gram(() => true, host.rows)) <= 2e-6);
    assert.ok(relativeMaxError(rule.get(name)!.a, gram((r) => host.fitted[r] === 1, host.rows - 3)) <= 2e-6);
    await assert.rejects(() => new CovarianceAccumulator(gpu!, layers).read(), /no fit token/);
    assert.throws(
      () =>
        new CovarianceAccumulator(gpu!, layers, { blocks: 4 }).add({
          ...uploadBatch(gpu!, host),
          sequences: [{ start: 20, rows: 9 }],
        }),
      /outside/,
    );
  },
});

Deno.test({
  name: "LambdaAccumulator matches fitLambda (Λ and D) in the same eigenbases, in passes of any size",
  ignore: !hasAdapter,
  fn: async () => {
    const eigen = eigendecomposeCovariances(fitCovariances(model, fit, labels, tracked));
    const reference = fitLambda(model, fit, fresh, tracked, eigen);
    const batch = uploadBatch(gpu!, concatRecords(fitRecords(model, fit, fresh, layers), layers));
    for (const sequencesPerPass of [4, 6]) {
      const accumulator = new LambdaAccumulator(gpu!, layers, { bases: eigen, sequencesPerPass });
      accumulator.add(batch);
      const got = await accumulator.read();
      for (const [name, ref] of reference) {
        const l = got.get(name)!;
        assert.equal(l.sequences, fit.length);
        // f32 records, GEMMs and rotations: measured ≤ 3e-7 relative to the largest entry.
        assert.ok(
          relativeMaxError(l.lambda!, ref.lambda!) <= 2e-6,
          `Λ of ${name}: ${relativeMaxError(l.lambda!, ref.lambda!)}`,
        );
        assert.ok(relativeMaxError(l.diagonal, ref.diagonal) <= 2e-6, `D of ${name}`);
      }
      accumulator.destroy();
    }
    const diagonalOnly = new LambdaAccumulator(gpu!, layers);
    diagonalOnly.add(batch, { sequences: 3 });
    diagonalOnly.add(batch, { sequences: 3 });
    const d = (await diagonalOnly.read()).get(tracked[1])!;
    assert.equal(d.lambda, undefined);
    assert.ok(relativeMaxError(d.diagonal, reference.get(tracked[1])!.diagonal.map((v) => v * 2)) <= 1e-5);
  },
});

Deno.test({
  name: "sequenceGradientTensors() gives each sequence's weight gradient Σ g aᵀ",
  ignore: !hasAdapter,
  fn: async () => {
    const host = concatRecords(records, layers);
    const tensors = sequenceGradientTensors(gpu!, layers, uploadBatch(gpu!, host));
    const values = await readTensors(...layers.map(({ name }) => tensors.get(name)!));
    layers.forEach(({ name, outDim, inDim }, l) => {
      records.forEach((sequence, i) => {
        const { a, g, rows } = sequence.get(name)!;
        const expected = new Float64Array(outDim * inDim);
        for (let t = 0; t < rows; t++) {
          for (let o = 0; o < outDim; o++) {
            for (let j = 0; j < inDim; j++) expected[o * inDim + j] += g[t * outDim + o] * a[t * inDim + j];
          }
        }
        const got = values[l].subarray(i * outDim * inDim, (i + 1) * outDim * inDim);
        assert.ok(relativeMaxError(got, expected) <= 2e-6, `${name}, sequence ${i}`);
      });
    });
  },
});

Deno.test({
  name: "recordSequenceGradients(): whole slots (from any first slot) equal the per-run GEMMs bit for bit",
  ignore: !hasAdapter,
  fn: async () => {
    // 6 sequences in slots of 16 rows, g zero past each sequence (padding); the last 4 are a slice
    // starting at slot 2, as a pass of a Λ accumulator with fewer sequences per pass than the batch has.
    const layer = { name: "w", outDim: 12, inDim: 8 }, slot = 16, lengths = [16, 3, 9, 16, 1, 12];
    const rng = new Rng(11, "slots");
    const a = Float32Array.from({ length: slot * lengths.length * layer.inDim }, () => rng.nextFloat() - 0.5);
    const g = Float32Array.from(
      { length: slot * lengths.length * layer.outDim },
      () => rng.nextFloat() - 0.5,
    );
    lengths.forEach((n, i) => g.fill(0, (i * slot + n) * layer.outDim, (i + 1) * slot * layer.outDim));
    const record = {
      a: Tensor.from(gpu!, a, [a.length / 8, 8]),
      g: Tensor.from(gpu!, g, [g.length / 12, 12]),
    };
    const slice = lengths.map((rows, i) => ({ start: i * slot, rows })).slice(2);
    const size = layer.outDim * layer.inDim;
    const slots = Tensor.zeros(gpu!, [slice.length * size]), runs = Tensor.zeros(gpu!, [slice.length * size]);
    recordSequenceGradients(layer, record, slice, slots, 0, slot);
    recordSequenceGradients(layer, record, slice, runs);
    const [x, y] = await readTensors(slots, runs);
    assert.ok((y as Float32Array).some((v) => v !== 0));
    assert.deepEqual(x, y);
    for (const t of [record.a, record.g, slots, runs]) t.destroy();
  },
});

Deno.test({
  name: "eigendecomposeCovariancesGpu() matches eigendecomposeCovariances, block-diagonal factors included",
  ignore: !hasAdapter,
  fn: async () => {
    for (const blocks of [1, 2] as const) {
      const covariances = fitCovariances(model, fit, labels, tracked, { blocks });
      const reference = eigendecomposeCovariances(covariances);
      const got = await eigendecomposeCovariancesGpu(gpu!, covariances);
      for (const [name, ref] of reference) {
        const e = got.get(name)!;
        assert.deepEqual([e.tokens, e.sequences, e.outDim, e.inDim], [
          ref.tokens,
          ref.sequences,
          ref.outDim,
          ref.inDim,
        ]);
        // Rayleigh-quotient eigenvalues (measured ≤ 1e-12 relative to the largest); vectors orthonormal
        // and reconstructing A to f32 level (measured ≤ 1e-6).
        assert.ok(relativeMaxError(e.aValues, ref.aValues) <= 1e-9, `A values of ${name}`);
        assert.ok(relativeMaxError(e.sValues, ref.sValues) <= 1e-9, `S values of ${name}`);
        for (const side of ["a", "s"] as const) {
          const { orthogonalityError, reconstructionError } = e.accuracy[side];
          assert.ok(orthogonalityError <= 5e-6 && reconstructionError <= 5e-6, `${side} accuracy of ${name}`);
        }
      }
    }
  },
});

Deno.test({
  name: "the accumulators reproduce the exact-expectation fit from pseudo-gradient records",
  ignore: !hasAdapter,
  fn: async () => {
    const sequences = fit.slice(0, 2).map((ids) => ids.subarray(0, 4));
    const covariances = fitCovariances(model, sequences, "exact", tracked);
    const eigen = eigendecomposeCovariances(covariances);
    const reference = fitLambda(model, sequences, "exact", tracked, eigen);
    const real = sequences.map((ids) =>
      llamaLossAndGradients(model.config, model.params, singleSequence(ids), {}, { record: () => true })
        .records
    );
    const pseudo = sequences.flatMap((ids) =>
      [...pseudoGradients(model, ids, tracked)].map((p) => p.records)
    );
    const pseudoBatch = uploadBatch(gpu!, concatRecords(pseudo, layers));
    const pass1 = new CovarianceAccumulator(gpu!, layers);
    pass1.add(uploadBatch(gpu!, concatRecords(real, layers)), "a");
    pass1.add(pseudoBatch, "s"); // S = Σ_(t,v) over fit rows; nothing counted
    const pass2 = new LambdaAccumulator(gpu!, layers, { bases: eigen });
    pass2.add(pseudoBatch, { sequences: sequences.length });
    const [c, l] = [await pass1.read(), await pass2.read()];
    for (const name of tracked) {
      const ref = covariances.get(name)!, got = c.get(name)!;
      assert.deepEqual([got.tokens, got.sequences], [ref.tokens, ref.sequences]);
      assert.ok(
        relativeMaxError(got.a, ref.a) <= 2e-6 && relativeMaxError(got.s, ref.s) <= 2e-6,
        `A, S of ${name}`,
      );
      assert.ok(relativeMaxError(l.get(name)!.lambda!, reference.get(name)!.lambda!) <= 1e-5, `Λ of ${name}`);
    }
  },
});

Deno.test({
  name: "A fit in parts (readSums, reset, finish*) equals the one-piece fit and matches the reference",
  ignore: !hasAdapter,
  fn: async () => {
    const reference = fitCovariances(model, fit, labels, tracked, { blocks: 2 });
    const first = uploadBatch(gpu!, concatRecords(records.slice(0, 4), layers, fitted.slice(0, 4)), true);
    const second = uploadBatch(gpu!, concatRecords(records.slice(4), layers, fitted.slice(4)), true);
    const covariance = new CovarianceAccumulator(gpu!, layers, { blocks: 2 });
    covariance.add(first);
    const oneBatch = await covariance.readSums();
    // One part finishes to exactly what read() returns.
    assert.deepEqual(finishCovariances(layers, [oneBatch]), await covariance.read());
    covariance.reset();
    const empty = await covariance.readSums();
    assert.deepEqual([empty.tokens, empty.sequences], [0, 0]);
    assert.ok(
      [...empty.sums.values()].every(({ a, s }) => a.every((v) => v === 0) && s.every((v) => v === 0)),
    );
    covariance.add(second);
    const parts = [oneBatch, await covariance.readSums()];
    const joined = finishCovariances(layers, parts);
    for (const [name, ref] of reference) {
      const c = joined.get(name)!;
      assert.deepEqual([c.tokens, c.sequences], [ref.tokens, ref.sequences]);
      assert.ok(relativeMaxError(c.a, ref.a) <= 2e-6, `A of ${name}`);
      assert.ok(relativeMaxError(c.s, ref.s) <= 2e-6, `S of ${name}`);
    }
    // Two parts agree with one accumulation of both batches up to f32 summation order.
    const whole = new CovarianceAccumulator(gpu!, layers, { blocks: 2 });
    whole.add(first), whole.add(second);
    for (const [name, c] of await whole.read()) {
      assert.ok(relativeMaxError(joined.get(name)!.a, c.a) <= 1e-6, `A of ${name} in parts vs whole`);
      assert.ok(relativeMaxError(joined.get(name)!.s, c.s) <= 1e-6, `S of ${name} in parts vs whole`);
    }
    whole.destroy();
    assert.throws(() => finishCovariances(layers, [empty]), /no fit token/);
    assert.throws(
      () => finishCovariances(layers, [oneBatch, { ...parts[1], blocks: 1 }]),
      /different blocks/,
    );
    assert.throws(
      () => finishCovariances(layers, [{ ...oneBatch, sums: new Map() }]),
      new RegExp(`lacks the a sum \\[${layers[0].inDim}, ${layers[0].inDim}\\] of ${layers[0].name}`),
    );
    covariance.destroy();

    const eigen = eigendecomposeCovariances(reference);
    const lambdaRef = fitLambda(model, fit, fresh, tracked, eigen);
    const pass2 = concatRecords(fitRecords(model, fit, fresh, layers), layers);
    const lambda = new LambdaAccumulator(gpu!, layers, { bases: eigen });
    const half = { ...pass2, sequences: pass2.sequences.slice(0, 3) };
    const rest = { ...pass2, sequences: pass2.sequences.slice(3) };
    lambda.add(uploadBatch(gpu!, half));
    const p1 = await lambda.readSums();
    assert.deepEqual(finishLambda(layers, [p1]), await lambda.read());
    lambda.reset();
    lambda.add(uploadBatch(gpu!, rest));
    const p2 = await lambda.readSums();
    assert.equal(p1.sequences + p2.sequences, fit.length);
    const got = finishLambda(layers, [p1, p2]);
    for (const [name, ref] of lambdaRef) {
      const l = got.get(name)!;
      assert.equal(l.sequences, fit.length);
      assert.ok(relativeMaxError(l.lambda!, ref.lambda!) <= 2e-6, `Λ of ${name}`);
      assert.ok(relativeMaxError(l.diagonal, ref.diagonal) <= 2e-6, `D of ${name}`);
    }
    assert.throws(() => finishLambda(layers, [{ sequences: 0, sums: p1.sums }]), /no fit sequence/);
    lambda.destroy();
  },
});
