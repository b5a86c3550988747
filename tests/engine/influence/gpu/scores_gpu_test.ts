import assert from "node:assert/strict";
import { Rng } from "../../../../engine/model/prng.ts";
import {
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  gradientNorm,
  influenceScore,
  type LayerEigenbasis,
  type LayerLambda,
  preconditionGradient,
  queryGradient,
  resolveDamping,
  scoreMatrix,
  tokenScores,
} from "../../../../engine/influence/cpu/mod.ts";
import {
  type ChunkScores,
  CovarianceAccumulator,
  DocumentScorer,
  eigendecomposeCovariancesGpu,
  GpuPreconditioner,
  LambdaAccumulator,
  type QueryProduct,
  type RecordBatch,
  tokenScoresGpu,
  truncateRankGpu,
} from "../../../../engine/influence/gpu/mod.ts";
import { DEFAULT_DAMPING, INFLUENCE_STRATEGIES } from "../../../../engine/influence/settings.ts";
import { resolveTrackedLayers, trackedLayerNames } from "../../../../engine/influence/tracked_layers.ts";
import { readTensors, type Tensor } from "../../../../engine/tensor.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "../../support.ts";
import { correlations, microModel, randomSequences, sampleLabels } from "../micro_model.ts";
import {
  concatRecords,
  documentRecords,
  fitRecords,
  relativeMaxError,
  splitQueries,
  uploadBatch,
  uploadQueries,
} from "./fixture.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;

const model = microModel({ hidden: 8, intermediate: 16 });
const vocab = model.config.vocabSize;
const tracked = trackedLayerNames(model.config);
const layers = resolveTrackedLayers(model.config, tracked);
const fit = randomSequences(31, "fit", 8, 8, vocab);
const labels = sampleLabels(model, fit, new Rng(31, "labels-1"));
const fresh = sampleLabels(model, fit, new Rng(31, "labels-2"));
const queries = ([[[2, 5], [1, 7]], [[3], [3, 9]], [[10, 0, 4], [4, 6]]] as const).map((
  [prompt, completion],
) => queryGradient(model, Int32Array.from(prompt), Int32Array.from(completion), tracked).gradient);
// Documents of mixed lengths: runs of equal length become batched GEMMs, the others single ones.
const documents = [6, 6, 6, 5, 7, 7, 4, 6, 3].map((length, d) =>
  randomSequences(31, `doc-${d}`, 1, length, vocab)[0]
);
const docs = documentRecords(model, documents, layers);
const docHost = concatRecords(docs.records, layers);

// The reference pipeline, float64 end to end.
const refEigen = eigendecomposeCovariances(fitCovariances(model, fit, labels, tracked));
const refLambda = fitLambda(model, fit, fresh, tracked, refEigen);

/** The GPU fit: covariances, GPU Jacobi eigenbases and Λ from the same records. */
async function fitGpu(): Promise<{ eigen: Map<string, LayerEigenbasis>; lambda: Map<string, LayerLambda> }> {
  const pass1 = new CovarianceAccumulator(gpu!, layers);
  pass1.add(uploadBatch(gpu!, concatRecords(fitRecords(model, fit, labels, layers), layers)));
  const eigen = await eigendecomposeCovariancesGpu(gpu!, await pass1.read());
  const pass2 = new LambdaAccumulator(gpu!, layers, { bases: eigen });
  pass2.add(uploadBatch(gpu!, concatRecords(fitRecords(model, fit, fresh, layers), layers)));
  const lambda = await pass2.read();
  pass1.destroy(), pass2.destroy();
  return { eigen, lambda };
}

/** Reads stacked P tensors back as per-query float64 maps. */
async function readQueries(p: ReadonlyMap<string, Tensor>): Promise<Map<string, Float64Array>[]> {
  const host = await readTensors(...layers.map(({ name }) => p.get(name)! as Tensor<"f32">));
  return splitQueries(layers, new Map(layers.map(({ name }, l) => [name, host[l]])), queries.length);
}

/** Scores the document batch in chunks of `chunk` documents. */
async function scoreInChunks(
  p: ReadonlyMap<string, Tensor>,
  batch: RecordBatch,
  chunk: number,
  queryProduct: QueryProduct = "auto",
): Promise<ChunkScores[]> {
  const scorer = new DocumentScorer(gpu!, layers, p, { maxDocuments: chunk, queryProduct });
  const results: ChunkScores[] = [];
  for (let d = 0; d < batch.sequences.length; d += chunk) {
    results.push(await scorer.score({ ...batch, sequences: batch.sequences.slice(d, d + chunk) }));
  }
  scorer.destroy();
  return results;
}

/** Raw score matrix [Q, D] assembled from chunks. */
function assemble(chunks: readonly ChunkScores[]): Float64Array {
  const total = chunks.reduce((n, c) => n + c.documents, 0), out = new Float64Array(queries.length * total);
  let first = 0;
  for (const c of chunks) {
    for (let q = 0; q < queries.length; q++) {
      for (let d = 0; d < c.documents; d++) out[q * total + first + d] = c.scores[q * c.documents + d];
    }
    first += c.documents;
  }
  return out;
}

Deno.test({
  name: "GpuPreconditioner matches preconditionGradient for every strategy on the same factors",
  ignore: !hasAdapter,
  fn: async () => {
    const factors = { eigen: refEigen, lambda: refLambda };
    for (const strategy of INFLUENCE_STRATEGIES) {
      const damping = resolveDamping(strategy, DEFAULT_DAMPING, factors);
      const pre = new GpuPreconditioner(gpu!, strategy, layers, factors, damping);
      const got = await readQueries(pre.apply(uploadQueries(gpu!, layers, queries)));
      queries.forEach((v, q) => {
        const ref = preconditionGradient(strategy, layers, v, factors, damping);
        for (const { name } of layers) {
          const error = relativeMaxError(got[q].get(name)!, ref.get(name)!);
          // f32 GEMMs and f32 1/(E + λ): measured ≤ 5e-7 relative to the largest entry.
          assert.ok(error <= 5e-6, `${strategy} ${name} query ${q}: ${error}`);
        }
      });
      pre.destroy();
    }
    assert.throws(
      () => new GpuPreconditioner(gpu!, "ekfac", layers, { eigen: refEigen }, new Map()),
      /Λ|damping|needs/,
    );
  },
});

Deno.test({
  name: "GPU scores agree with the float64 reference end to end for every strategy",
  ignore: !hasAdapter,
  fn: async () => {
    const factors = await fitGpu();
    const refDocs = docs.gradients;
    for (const strategy of INFLUENCE_STRATEGIES) {
      const refFactors = { eigen: refEigen, lambda: refLambda };
      const refP = queries.map((v) =>
        preconditionGradient(
          strategy,
          layers,
          v,
          refFactors,
          resolveDamping(strategy, DEFAULT_DAMPING, refFactors),
        )
      );
      const ref = scoreMatrix(refP, refDocs);
      const damping = resolveDamping(strategy, DEFAULT_DAMPING, factors);
      const p = new GpuPreconditioner(gpu!, strategy, layers, factors, damping).apply(
        uploadQueries(gpu!, layers, queries),
      );
      const [chunk] = await scoreInChunks(p, uploadBatch(gpu!, docHost), documents.length);
      const { pearson } = correlations(chunk.scores, ref);
      const scale = Math.max(...ref.map(Math.abs));
      // GPU Jacobi + f32 everywhere vs float64 everywhere: measured 1 − r ≤ 2e-12, |Δ| ≤ 3e-6·max|ref|
      // and ≤ 3e-5·|ref| (kfac, ekfac; identity and diagonal ≤ 1e-7·max|ref| and ≤ 1.1e-6·|ref|).
      assert.ok(pearson >= 0.9999, `${strategy}: Pearson ${pearson}`);
      assertClose(chunk.scores, ref, { atol: 1e-4 * scale, rtol: 1e-3 }, `${strategy} scores`);
      // Per-layer terms and norms, as the reference defines them.
      refDocs.forEach((doc, d) => {
        refP.forEach((pq, q) => {
          const { perLayer } = influenceScore(pq, doc);
          for (const [name, term] of perLayer) {
            const got = chunk.perLayer.get(name)![q * documents.length + d];
            assert.ok(Math.abs(got - term) <= 1e-4 * scale, `${strategy} ${name} term (${q}, ${d})`);
          }
        });
        assert.ok(Math.abs(chunk.norms[d] - gradientNorm(doc)) <= 1e-5 * gradientNorm(doc), `norm ${d}`);
      });
    }
  },
});

Deno.test({
  name: "GPU influence is bit-identical on repeat, and chunked scoring equals one-shot scoring",
  ignore: !hasAdapter,
  fn: async () => {
    const runs = [];
    for (let run = 0; run < 2; run++) {
      const factors = await fitGpu();
      const damping = resolveDamping("ekfac", DEFAULT_DAMPING, factors);
      const p = new GpuPreconditioner(gpu!, "ekfac", layers, factors, damping).apply(
        uploadQueries(gpu!, layers, queries),
      );
      const batch = uploadBatch(gpu!, docHost);
      runs.push({ lambda: factors.lambda, p, oneShot: await scoreInChunks(p, batch, documents.length) });
    }
    for (const name of tracked) {
      assert.deepEqual(runs[1].lambda.get(name)!.lambda, runs[0].lambda.get(name)!.lambda);
    }
    assert.deepEqual(assemble(runs[1].oneShot), assemble(runs[0].oneShot));
    const batch = uploadBatch(gpu!, docHost);
    for (const product of ["multi-dot", "gemm"] as const) {
      const [oneShot] = await scoreInChunks(runs[0].p, batch, documents.length, product);
      const chunked = await scoreInChunks(runs[0].p, batch, 4, product);
      assert.equal(chunked.length, 3);
      assert.deepEqual(assemble(chunked), oneShot.scores, product);
      assert.deepEqual(Float64Array.from(chunked.flatMap((c) => [...c.norms])), oneShot.norms);
      // Documents queued from several batches and scored in one product: the same bits.
      const queue: DocumentScorer = new DocumentScorer(gpu!, layers, runs[0].p, {
        maxDocuments: documents.length,
        queryProduct: product,
      });
      for (let d = 0; d < batch.sequences.length; d += 3) {
        queue.add({ ...batch, sequences: batch.sequences.slice(d, d + 3) });
      }
      assert.equal(queue.queued, batch.sequences.length);
      const queued = await queue.scoreQueued();
      assert.equal(queue.queued, 0);
      assert.deepEqual(queued.scores, oneShot.scores, product);
      assert.deepEqual(queued.norms, oneShot.norms, product);
      for (const [name, terms] of oneShot.perLayer) assert.deepEqual(queued.perLayer.get(name), terms, name);
      queue.destroy();
      assertClose(oneShot.scores, runs[0].oneShot[0].scores, {
        atol: 1e-6 * Math.max(...oneShot.scores.map(Math.abs)),
        rtol: 1e-5,
      }, product);
    }
  },
});

Deno.test({
  name: "truncateRankGpu() and tokenScoresGpu() match the reference rank-k and per-token scores",
  ignore: !hasAdapter,
  fn: async () => {
    const factors = { eigen: refEigen, lambda: refLambda };
    const damping = resolveDamping("ekfac", DEFAULT_DAMPING, factors);
    const p = new GpuPreconditioner(gpu!, "ekfac", layers, factors, damping).apply(
      uploadQueries(gpu!, layers, queries),
    );
    await truncateRankGpu(layers, p, 2);
    const got = await readQueries(p);
    const refP = queries.map((v) => preconditionGradient("ekfac", layers, v, factors, damping, { rank: 2 }));
    refP.forEach((ref, q) => {
      for (const { name } of layers) {
        assert.ok(relativeMaxError(got[q].get(name)!, ref.get(name)!) <= 5e-6, `rank-2 ${name} query ${q}`);
      }
    });
    await assert.rejects(() => truncateRankGpu(layers, p, 0), /positive integer/);

    const batch = uploadBatch(gpu!, docHost);
    const pairs = [{ query: 0, document: 3 }, { query: 2, document: 0 }, { query: 1, document: 8 }];
    const perToken = await tokenScoresGpu(
      gpu!,
      layers,
      p,
      batch,
      pairs.map(({ query, document }) => ({
        query,
        document: docHost.sequences[document],
      })),
    );
    const [chunk] = await scoreInChunks(p, batch, documents.length);
    pairs.forEach(({ query, document }, i) => {
      const ref = tokenScores(refP[query], docs.records[document]);
      const scale = Math.max(...ref.map(Math.abs));
      assertClose(perToken[i], ref, { atol: 1e-4 * scale, rtol: 1e-4 }, `token scores of pair ${i}`);
      const sum = perToken[i].reduce((a, b) => a + b, 0),
        score = chunk.scores[query * documents.length + document];
      assert.ok(
        Math.abs(sum - score) <= 1e-4 * Math.max(scale, Math.abs(score)),
        `pair ${i} sums to its score`,
      );
    });
    await assert.rejects(
      () => tokenScoresGpu(gpu!, layers, p, batch, [{ query: 3, document: docHost.sequences[0] }]),
      /query 3/,
    );
  },
});

Deno.test({
  name: "DocumentScorer keeps fixed-size buffers and rejects chunks beyond its capacity",
  ignore: !hasAdapter,
  fn: async () => {
    const p = uploadQueries(gpu!, layers, queries);
    const scorer = new DocumentScorer(gpu!, layers, p, { maxDocuments: 2 });
    const batch = uploadBatch(gpu!, docHost);
    assert.throws(() => scorer.record(batch), /exceed maxDocuments 2/);
    await assert.rejects(() => scorer.read(), /no chunk/);
    scorer.add({ ...batch, sequences: batch.sequences.slice(0, 1) });
    assert.throws(
      () => scorer.add({ ...batch, sequences: batch.sequences.slice(1, 3) }),
      /1 queued \+ 2 documents exceed maxDocuments 2/,
    );
    assert.equal(scorer.queued, 1);
    scorer.commit();
    const empty = await scorer.score({ ...batch, sequences: [] });
    assert.deepEqual([empty.documents, empty.scores.length], [0, 0]);
    const identity = await scorer.score({ ...batch, sequences: batch.sequences.slice(0, 2) });
    const ref = scoreMatrix(queries, docs.gradients.slice(0, 2));
    assertClose(
      identity.scores,
      ref,
      { atol: 1e-5 * Math.max(...ref.map(Math.abs)), rtol: 1e-4 },
      "identity",
    );
    scorer.destroy();
    // Layers whose out·in is not a multiple of 4 take the GEMM path instead of multiDot.
    const odd = [{ name: "w0", outDim: 3, inDim: 5 }, { name: "w1", outDim: 4, inDim: 6 }];
    const rows = 11, sequences = [{ start: 0, rows: 4 }, { start: 4, rows: 4 }, { start: 8, rows: 3 }];
    const host = new Map(odd.map(({ name, outDim, inDim }, l) => [name, {
      a: randomArray(rows * inDim, 40 + l),
      g: randomArray(rows * outDim, 50 + l),
    }]));
    const oddQueries = [0, 1].map((q) =>
      new Map(
        odd.map((
          { name, outDim, inDim },
          l,
        ) => [name, Float64Array.from(randomArray(outDim * inDim, 60 + 2 * q + l))]),
      )
    );
    const oddScorer = new DocumentScorer(gpu!, odd, uploadQueries(gpu!, odd, oddQueries), {
      maxDocuments: 3,
    });
    const result = await oddScorer.score(
      uploadBatch(gpu!, { records: host, sequences, fitted: new Uint8Array(rows), rows }),
    );
    const gradients = sequences.map(({ start, rows: length }) =>
      new Map(odd.map(({ name, outDim, inDim }) => {
        const { a, g } = host.get(name)!, dw = new Float64Array(outDim * inDim);
        for (let t = start; t < start + length; t++) {
          for (let o = 0; o < outDim; o++) {
            for (let i = 0; i < inDim; i++) dw[o * inDim + i] += g[t * outDim + o] * a[t * inDim + i];
          }
        }
        return [name, dw];
      }))
    );
    assertClose(result.scores, scoreMatrix(oddQueries, gradients), { atol: 1e-5, rtol: 1e-5 }, "GEMM path");
    oddScorer.destroy();
  },
});
