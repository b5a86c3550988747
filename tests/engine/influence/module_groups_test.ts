import assert from "node:assert/strict";
import { eigendecomposeCovariances } from "../../../engine/influence/cpu/mod.ts";
import { sumLeadingAxes } from "../../../engine/kernels/reduce.ts";
import { Tensor } from "../../../engine/tensor.ts";
import {
  type FactorStore,
  InfluencePipeline,
  joinGroupChunks,
  MemoryFactorStore,
  type ModuleFactors,
  type ModuleGroups,
  pipelineSettings,
  type ScoreChunk,
  storedFactors,
} from "../../../engine/influence/pipeline/mod.ts";
import { castParams } from "../../../engine/model/params.ts";
import { hasAdapter, rng, testGpu } from "../support.ts";
import { relativeMaxError } from "./gpu/fixture.ts";
import { microModel, randomSequences } from "./micro_model.ts";

const gpu = hasAdapter ? await testGpu() : null;

// Two blocks × three MLP projections: six tracked modules.
const micro = microModel({ hidden: 8, intermediate: 16, vocab: 13 });
const model = { config: micro.config, params: castParams(micro.params, Float32Array) };
const vocab = micro.config.vocabSize;
const documents = Array.from(
  { length: 20 },
  (_, d) => randomSequences(6, `doc-${d}`, 1, 3 + (d % 7), vocab)[0],
);
const queries = [
  { prompt: [1, 4, 2], completion: [7, 3] },
  { prompt: [5], completion: [2, 2, 9] },
  { prompt: [12, 0, 6, 6], completion: [1] },
  { prompt: [3, 3], completion: [8, 11, 2] },
];
const every = (size: number): ModuleGroups => ({
  "fit covariances": size,
  "eigendecomposition": size,
  "Λ fit": size,
  "query gradients": size,
  "scoring": size,
});

/** Everything a run computes, for bit-for-bit comparison. */
async function run(moduleGroups: ModuleGroups | null) {
  const pipeline = new InfluencePipeline(gpu!, model, {
    seed: 4,
    fitPartDocuments: 8,
    scoreChunkDocuments: 7,
    moduleGroups,
  });
  try {
    const fit = await pipeline.fitFactors(documents);
    const pre = await pipeline.preconditionQueries(queries, fit);
    const { v } = await pipeline.queryGradients(queries);
    const chunks: ScoreChunk[][] = [];
    // The preconditioned rows and two raw ones stacked in one pass, as the scores stage scores them.
    const firstTwo = new Map([...v].map(([name, rows]) => [name, rows.subarray(0, rows.length / 2)]));
    const matrices = [{ p: pre.p, rows: queries.length }, { p: firstTwo, rows: 2, perLayer: false }];
    for await (const c of pipeline.scoreMatrices(matrices, documents)) chunks.push(c.chunks);
    const scores = new Float64Array(queries.length * documents.length);
    let first = 0;
    for (const [own] of chunks) {
      const count = own.norms.length;
      for (let q = 0; q < queries.length; q++) {
        scores.set(own.scores.subarray(q * count, (q + 1) * count), q * documents.length + first);
      }
      first += count;
    }
    const tokens = await pipeline.topTokenScores(pre.p, queries.length, documents, scores, queries.length, 3);
    return { groups: pipeline.groups("scoring").length, fit, pre, chunks, tokens };
  } finally {
    pipeline.destroy();
  }
}

Deno.test({
  name: "module groups: 2 and 3 groups per stage give the all-resident fit, rows and scores bit for bit",
  ignore: !gpu,
  async fn() {
    const resident = await run(null);
    assert.equal(resident.groups, 1);
    for (
      const groups of [
        every(4), // 4 + 2 modules
        // 2 + 2 + 2 scoring, 5 + 1 covariances, one at a time for Λ, 3 + 3 query gradients.
        { ...every(2), "fit covariances": 5, "Λ fit": 1, "query gradients": 3 },
      ]
    ) {
      const got = await run(groups);
      assert.equal(got.groups, Math.ceil(6 / groups.scoring!));
      const { fit, pre } = got;
      assert.deepEqual(fit.labels, resident.fit.labels);
      for (const [name, c] of resident.fit.covariances) {
        assert.deepEqual(fit.covariances.get(name), c, `A, S of ${name}`);
        assert.deepEqual(fit.eigen.get(name), resident.fit.eigen.get(name), `eigenbasis of ${name}`);
        assert.deepEqual(fit.lambda.get(name), resident.fit.lambda.get(name), `Λ of ${name}`);
        assert.deepEqual(pre.p.get(name), resident.pre.p.get(name), `P of ${name}`);
      }
      assert.deepEqual([...pre.damping], [...resident.pre.damping]);
      assert.deepEqual(pre.nats, resident.pre.nats);
      assert.deepEqual(got.chunks, resident.chunks, "scores, per-layer scores and norms");
      assert.deepEqual(got.tokens, resident.tokens, "per-token scores");
    }
    // The comparison can fail: other damping gives other rows.
    assert.ok(resident.chunks[0][0].scores.some((s) => s !== 0));
  },
});

Deno.test({
  name: "module groups: a fit streamed to a store and rows loaded by group equal the resident ones",
  ignore: !gpu,
  async fn() {
    const groups = { ...every(2), "eigendecomposition": 4 };
    const resident = new InfluencePipeline(gpu!, model, { seed: 4, fitPartDocuments: 8 });
    const streamed = new InfluencePipeline(gpu!, model, {
      seed: 4,
      fitPartDocuments: 8,
      moduleGroups: groups,
    });
    try {
      const fit = await resident.fitFactors(documents);
      const reads: string[][] = [];
      const memory = new MemoryFactorStore();
      const store: FactorStore = {
        write: (name, factors) => memory.write(name, factors),
        read: (names) => (reads.push([...names]), memory.read(names)),
      };
      const stored = await streamed.fitFactorsToStore(documents, store);
      assert.deepEqual(stored.labels, fit.labels);
      assert.deepEqual(stored.layers.map((l) => l.name), resident.layers.map((l) => l.name));
      for (const [name, m] of memory.modules) {
        assert.deepEqual(
          m,
          {
            covariance: fit.covariances.get(name)!,
            eigen: fit.eigen.get(name)!,
            lambda: fit.lambda.get(name),
          } satisfies ModuleFactors,
        );
      }
      // Pass 2 read its eigenbases one Λ group at a time, then Λ was added group by group.
      assert.ok(reads.every((names) => names.length <= 2), JSON.stringify(reads));
      const want = await resident.preconditionQueries(queries, fit);
      reads.length = 0;
      const got = await streamed.preconditionQueries(queries, storedFactors(store));
      assert.deepEqual(reads.map((r) => r.length), [2, 2, 2]);
      assert.deepEqual(got.p, want.p);
      // Rows loaded by group, as the scores stage loads them from files written per module.
      const loaded: string[][] = [];
      const rows = (names: readonly string[]) => {
        loaded.push([...names]);
        return Promise.resolve(new Map(names.map((n) => [n, got.p.get(n)!])));
      };
      const one: ScoreChunk[] = [], many: ScoreChunk[] = [];
      for await (const c of resident.scoreDocuments(want.p, queries.length, documents)) one.push(c.chunk);
      for await (const c of streamed.scoreDocuments(rows, queries.length, documents)) many.push(c.chunk);
      assert.deepEqual(many, one);
      assert.equal(loaded.length, 3);
    } finally {
      resident.destroy();
      streamed.destroy();
    }
  },
});

Deno.test({
  name: "module groups: the GPU Jacobi solver by group meets its tolerance against the float64 reference",
  ignore: !gpu,
  async fn() {
    // A group's Jacobi sweeps stop when its own matrices converge, so its eigenbases may differ from the
    // all-resident solver's; both are held to the solver's tolerance against float64 (eigenvalues: 1e-9
    // of the largest; eigenvectors orthonormal and reconstructing A and S to 5e-6).
    const pipeline = new InfluencePipeline(gpu!, model, {
      seed: 4,
      fitPartDocuments: 8,
      eigensolver: "gpu-jacobi",
      moduleGroups: { eigendecomposition: 1 },
    });
    try {
      const pass1 = await pipeline.fitCovarianceParts(documents, pipeline.planFit(documents));
      const { covariances, eigen } = await pipeline.eigenbases(pass1.sums);
      const reference = eigendecomposeCovariances(covariances);
      assert.equal(eigen.size, 6);
      for (const [name, ref] of reference) {
        const e = eigen.get(name)!;
        assert.ok(relativeMaxError(e.aValues, ref.aValues) <= 1e-9, `A eigenvalues of ${name}`);
        assert.ok(relativeMaxError(e.sValues, ref.sValues) <= 1e-9, `S eigenvalues of ${name}`);
        for (const side of ["a", "s"] as const) {
          const { orthogonalityError, reconstructionError } = e.accuracy[side];
          assert.ok(orthogonalityError <= 5e-6 && reconstructionError <= 5e-6, `${side} accuracy of ${name}`);
        }
      }
    } finally {
      pipeline.destroy();
    }
  },
});

Deno.test({
  name:
    "module groups: a store that fails mid-fit stops the fit with its error, the modules before it complete",
  ignore: !gpu,
  async fn() {
    const pipeline = new InfluencePipeline(gpu!, model, {
      seed: 4,
      fitPartDocuments: 8,
      moduleGroups: every(2),
    });
    const memory = new MemoryFactorStore();
    let writes = 0;
    const store: FactorStore = {
      write: (name, factors) => {
        if (++writes === 4) return Promise.reject(new Error("disk full"));
        return memory.write(name, factors);
      },
      read: (names) => memory.read(names),
    };
    try {
      await assert.rejects(() => pipeline.fitFactorsToStore(documents, store), /^Error: disk full$/);
      assert.equal(memory.modules.size, 3);
      for (const m of memory.modules.values()) assert.ok(m.covariance && m.eigen && m.lambda === undefined);
    } finally {
      pipeline.destroy();
    }
  },
});

Deno.test("module groups: bad settings are refused with one line naming the field", () => {
  assert.throws(
    () => pipelineSettings({ moduleGroups: { scoring: 0 } }),
    {
      message:
        'Influence settings: moduleGroups["scoring"] must be a positive integer (modules per group), found 0',
    },
  );
  assert.throws(
    () => pipelineSettings({ moduleGroups: { scores: 2 } as ModuleGroups }),
    /^RangeError: Influence settings: moduleGroups has an unknown stage "scores": expected one of "fit covariances", /,
  );
  assert.throws(
    () => pipelineSettings({ moduleGroups: 3 as unknown as ModuleGroups }),
    /moduleGroups must be null or an object of modules per group by stage .*, found 3$/,
  );
  assert.throws(
    () => pipelineSettings({ moduleGroups: { "Λ fit": 1.5 } }),
    /moduleGroups\["Λ fit"\] must be a positive integer \(modules per group\), found 1.5/,
  );
  assert.throws(
    () => pipelineSettings({ scoreBatchDocuments: 16, scoreProductDocuments: 8 }),
    /scoreProductDocuments must be an integer of at least scoreBatchDocuments \(16\), found 8/,
  );
  assert.deepEqual(pipelineSettings({ moduleGroups: { scoring: 3 } }).moduleGroups, { scoring: 3 });
});

Deno.test({
  name: "joinGroupChunks() sums the layers' terms as the device's sumLeadingAxes does, bit for bit",
  ignore: !gpu,
  async fn() {
    // 1030 layers (past REDUCE_CHUNK: the device sums in two levels) of 5 entries, split into 3 groups.
    const layers = 1030, size = 5;
    const next = rng(11);
    const terms = Array.from(
      { length: layers },
      (_, l) => Float64Array.from({ length: size }, () => Math.fround((next() - 0.5) * 2 ** ((l % 40) - 20))),
    );
    const x = Tensor.from(gpu!, Float32Array.from(terms.flatMap((t) => [...t])), [layers, size]);
    const out = Tensor.zeros(gpu!, [size]);
    sumLeadingAxes(x, out);
    const device = Float64Array.from(await out.read() as Float32Array);
    x.destroy(), out.destroy();
    const squares = (n: number) => Array.from({ length: n }, () => new Float64Array(1));
    const group = (first: number, last: number) => ({
      scores: new Float64Array(size),
      perLayer: terms.slice(first, last),
      norms: new Float64Array(1),
      squaredNorms: squares(last - first),
    });
    const joined = joinGroupChunks([group(0, 400), group(400, 1029), group(1029, layers)], size, 1);
    assert.deepEqual(joined.scores, device);
    // Not the float64 sum: the test can tell the two apart.
    const f64 = terms.reduce((acc, t) => acc.map((v, i) => v + t[i]), new Float64Array(size));
    assert.notDeepEqual(joined.scores, f64);
  },
});
