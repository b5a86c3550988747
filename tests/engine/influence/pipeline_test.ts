import assert from "node:assert/strict";
import {
  documentGradient,
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  influenceScore,
  preconditionGradient,
  queryGradient,
  resolveDamping,
} from "../../../engine/influence/cpu/mod.ts";
import { trackedLayerNames } from "../../../engine/influence/tracked_layers.ts";
import {
  FIT_BATCH_DOCUMENTS,
  InfluencePipeline,
  int32Rows,
  pipelineSettings,
  type ScoreChunk,
} from "../../../engine/influence/pipeline/mod.ts";
import { finishCovariances } from "../../../engine/influence/gpu/mod.ts";
import { castParams } from "../../../engine/model/params.ts";
import { hasAdapter, testGpu } from "../support.ts";
import { microModel, randomSequences } from "./micro_model.ts";

const gpu = hasAdapter ? await testGpu() : null;

// The pipeline takes f32 weights; the reference gets the same values widened to float64.
const micro = microModel({ hidden: 8, intermediate: 16, vocab: 13 });
const params = castParams(micro.params, Float32Array);
const model = { config: micro.config, params };
const reference = { config: micro.config, params: castParams(params, Float64Array) };
const tracked = trackedLayerNames(micro.config);
const vocab = micro.config.vocabSize;
// 20 documents of 3 … 9 tokens (mixed lengths: padded batches), as number[] and Int32Array rows.
const documents = Array.from(
  { length: 20 },
  (_, d) => randomSequences(5, `doc-${d}`, 1, 3 + (d % 7), vocab)[0],
);
const queries = [
  { prompt: [1, 4, 2], completion: [7, 3] },
  { prompt: [5], completion: [2, 2, 9] },
  { prompt: [12, 0, 6, 6], completion: [1] },
];

Deno.test({
  name: "InfluencePipeline: fit, precondition and scores over token rows match the float64 reference",
  ignore: !gpu,
  async fn() {
    for (const strategy of ["ekfac", "kfac", "identity"] as const) {
      const pipeline = new InfluencePipeline(gpu!, model, { strategy, seed: 9, fitPartDocuments: 8 });
      try {
        const fit = await pipeline.fitFactors(documents.map((d) => Array.from(d)));
        assert.equal(fit.plan.documents.length, documents.length);
        assert.equal(fit.plan.parts.length, Math.ceil(documents.length / 8));
        // The reference fed the labels the pipeline sampled (fit order) gives the same factors.
        const sequences = fit.plan.documents.map((d) => documents[d]);
        const covariances = fitCovariances(reference, sequences, fit.labels.pass1, tracked);
        const eigen = eigendecomposeCovariances(covariances);
        const lambda = fitLambda(reference, sequences, fit.labels.pass2, tracked, eigen);
        const factors = strategy === "identity" ? {} : { eigen, lambda };
        const pre = await pipeline.preconditionQueries(queries, strategy === "identity" ? {} : fit);
        const damping = resolveDamping(strategy, pipeline.settings.damping, factors);
        const chunks: ScoreChunk[] = [];
        for await (const c of pipeline.scoreDocuments(pre.p, queries.length, documents)) chunks.push(c.chunk);
        assert.equal(chunks.length, 1);
        const docGrads = documents.map((d) => documentGradient(reference, d, tracked).gradient);
        let worst = 0, largest = 0;
        queries.forEach((q, i) => {
          const v = queryGradient(
            reference,
            Int32Array.from(q.prompt),
            Int32Array.from(q.completion),
            tracked,
          );
          assert.ok(Math.abs(v.nats - pre.nats[i]) <= 1e-4 * Math.max(1, v.nats), `nats of query ${i}`);
          const p = preconditionGradient(strategy, pipeline.layers, v.gradient, factors, damping);
          docGrads.forEach((g, d) => {
            const want = influenceScore(p, g).score;
            worst = Math.max(worst, Math.abs(chunks[0].scores[i * documents.length + d] - want));
            largest = Math.max(largest, Math.abs(want));
          });
        });
        assert.ok(largest > 0, "the reference scores are not all zero");
        assert.ok(
          worst / largest < 2e-3,
          `${strategy}: max |pipeline − reference| / max |reference| = ${worst / largest}`,
        );
        for (const [name, c] of covariances) {
          const got = fit.covariances.get(name)!;
          const scale = Math.max(...c.a.map(Math.abs));
          assert.ok(Math.max(...c.a.map((x, k) => Math.abs(x - got.a[k]))) < 1e-4 * scale, `A of ${name}`);
        }
      } finally {
        pipeline.destroy();
      }
    }
  },
});

Deno.test({
  name:
    "InfluencePipeline.scoreMatrices: several query matrices in one pass equal each scored alone, bit for bit",
  ignore: !gpu,
  async fn() {
    const pipeline = new InfluencePipeline(gpu!, model, { seed: 3, scoreChunkDocuments: 7 });
    try {
      const factors = await pipeline.fitFactors(documents);
      const many = [...queries, ...queries.map((q) => ({ prompt: q.completion, completion: q.prompt }))];
      const { v } = await pipeline.queryGradients(many);
      const ekfac = await pipeline.precondition(v, many.length, factors);
      const kfac = await pipeline.precondition(v, many.length, factors, "kfac");
      const matrices = [
        { p: ekfac.p, rows: many.length },
        { p: v, rows: many.length, perLayer: false },
        { p: kfac.p, rows: many.length },
      ];
      const alone = async (p: ReadonlyMap<string, Float32Array>) => {
        const out: ScoreChunk[] = [];
        for await (const c of pipeline.scoreDocuments(p, many.length, documents)) out.push(c.chunk);
        return out;
      };
      const separate = [await alone(ekfac.p), await alone(v), await alone(kfac.p)];
      let chunks = 0;
      for await (const c of pipeline.scoreMatrices(matrices, documents)) {
        assert.equal(c.chunks.length, 3);
        c.chunks.forEach((chunk, m) => {
          const want = separate[m][c.index];
          assert.deepEqual(chunk.scores, want.scores, `matrix ${m}, chunk ${c.index}: scores`);
          assert.deepEqual(chunk.norms, want.norms);
          assert.deepEqual(chunk.perLayer, m === 1 ? [] : want.perLayer);
        });
        chunks++;
      }
      assert.equal(chunks, Math.ceil(documents.length / 7));
      // K-FAC rows differ from EK-FAC rows: the matrices are not mixed up.
      assert.notDeepEqual(separate[0][0].scores, separate[2][0].scores);
      await assert.rejects(
        async () => {
          for await (const _ of pipeline.scoreMatrices([{ p: v, rows: 2 }], documents)) break;
        },
        /matrix 0, layer .*: expected \d+ floats \(\[2, \d+, \d+\]\), found \d+/,
      );
    } finally {
      pipeline.destroy();
    }
  },
});

Deno.test({
  name: "InfluencePipeline: a fit in parts and scores in chunks equal the unsplit computation bit for bit",
  ignore: !gpu,
  async fn() {
    const whole = new InfluencePipeline(gpu!, model, { seed: 4, fitPartDocuments: 16 });
    const split = new InfluencePipeline(gpu!, model, {
      seed: 4,
      fitPartDocuments: FIT_BATCH_DOCUMENTS,
      scoreChunkDocuments: 3,
    });
    try {
      // Pass 1 by parts of 8 documents, each range on its own, summed in float64 in part order.
      const plan = split.planFit(documents);
      assert.equal(plan.parts.length, 3);
      const first = await split.fitCovarianceParts(documents, plan, [0, 1]);
      const rest = await split.fitCovarianceParts(documents, plan, [1, 3]);
      const all = await split.fitCovarianceParts(documents, plan);
      const a = finishCovariances(split.layers, [...first.sums, ...rest.sums]);
      const b = finishCovariances(split.layers, all.sums);
      for (const [name, c] of a) assert.deepEqual(c.a, b.get(name)!.a);
      assert.deepEqual([...first.labels, ...rest.labels], all.labels);

      const factors = await whole.fitFactors(documents);
      const { p } = await whole.preconditionQueries(queries, factors);
      const one: ScoreChunk[] = [], many: ScoreChunk[] = [];
      for await (const c of whole.scoreDocuments(p, queries.length, documents)) one.push(c.chunk);
      const ticks: number[] = [];
      const resumed = new Set<number>();
      for await (
        const c of split.scoreDocuments(p, queries.length, documents, {
          chunks: [0, 7],
          // Chunk 2 "was saved by a killed run": it is taken as given, not recomputed.
          resume: (index, _start, count) =>
            Promise.resolve(
              index === 2
                ? {
                  scores: new Float64Array(queries.length * count).fill(7),
                  perLayer: [],
                  norms: new Float64Array(count),
                }
                : null,
            ),
          onDocuments: (n) => ticks.push(n),
        })
      ) {
        if (c.resumed) resumed.add(c.index);
        many.push(c.chunk);
      }
      assert.deepEqual([...resumed], [2]);
      assert.equal(ticks.reduce((s, n) => s + n, 0), documents.length);
      assert.equal(many.length, 7);
      const nd = documents.length;
      many.forEach((chunk, c) => {
        const count = chunk.norms.length;
        for (let q = 0; q < queries.length; q++) {
          for (let d = 0; d < count; d++) {
            const want = c === 2 ? 7 : one[0].scores[q * nd + c * 3 + d];
            assert.equal(chunk.scores[q * count + d], want);
          }
        }
      });
      const tokens = await whole.topTokenScores(
        p,
        queries.length,
        documents,
        one[0].scores,
        queries.length,
        2,
      );
      assert.equal(tokens.pairs.length, 2 * queries.length);
      assert.ok(tokens.maxSumDeviation < 1e-3 * Math.max(...one[0].scores.map(Math.abs)));
    } finally {
      whole.destroy();
      split.destroy();
    }
  },
});

Deno.test("int32Rows() and pipelineSettings() refuse bad input with one line naming what and where", () => {
  assert.throws(
    () => int32Rows("scoreDocuments(): documents", [[1, 2], [3, 13]], 13),
    { message: "scoreDocuments(): documents: row 1, position 1: expected a token id in [0, 13), found 13" },
  );
  assert.throws(() => int32Rows("x", [[0.5]], 13), /found 0.5/);
  assert.throws(
    () => pipelineSettings({ scoreChunkDocuments: 0 }),
    /scoreChunkDocuments must be a positive integer, found 0/,
  );
  assert.throws(() => pipelineSettings({ seed: -1 }), /seed must be a non-negative integer/);
  assert.deepEqual(pipelineSettings({ queryRank: 2 }).queryRank, 2);
});
