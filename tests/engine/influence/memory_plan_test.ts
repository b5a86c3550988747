import assert from "node:assert/strict";
import {
  describePlan,
  formatBytes,
  type MemoryPlan,
  MemoryPlanError,
  type MemoryPlanInput,
  planInfluenceMemory,
  type PlannedStage,
  planSettings,
} from "../../../engine/influence/memory_plan.ts";
import { InfluencePipeline } from "../../../engine/influence/pipeline/mod.ts";
import { finishLambda } from "../../../engine/influence/gpu/mod.ts";
import { parseLlamaConfig } from "../../../engine/model/config.ts";
import { initParams } from "../../../engine/model/init_params.ts";
import { hasAdapter, rng, testGpu } from "../support.ts";

const GIB = 2 ** 30;

/** A Llama-3.2-1B-like shape: hidden 2048, MLP 8192, 16 layers, 32 heads over 8 key/value heads. */
const oneB = parseLlamaConfig({
  vocab_size: 128_256,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  tie_word_embeddings: true,
});

const oneBInput: MemoryPlanInput = {
  config: oneB,
  trackedModules: ["gate_proj", "up_proj", "down_proj"],
  strategy: "ekfac",
  eigensolver: "gpu-jacobi",
  fitTokens: 512,
  queryTokens: 128,
  scoreTokens: 512,
  queries: 100,
  budgetBytes: 80 * GIB,
};

Deno.test("planInfluenceMemory(): a 1B Llama with vocabulary 128,256 plans runnable within 80 GiB", () => {
  // 24 query rows (8 queries: own completions, gold answers, the identity control's copies).
  const plan = planInfluenceMemory({ ...oneBInput, queries: 24 });
  assert.equal(plan.modules, 48);
  assert.ok(plan.peakBytes <= 80 * GIB, formatBytes(plan.peakBytes));
  // 8192-wide factors: two blocks of 4096 for the eigendecomposition.
  assert.deepEqual([plan.widestFactor, plan.blocks, plan.eigenBlockWidth], [8192, 2, 4096]);
  const stage = (name: PlannedStage) => plan.stages.find((s) => s.stage === name)!;
  // No stage but the eigendecomposition holds 48 modules' records, sums, factors or query rows with the
  // model's four workspaces: they stream modules in groups, each group one pass over the stage's
  // documents (or queries), and the scoring takes batches and products that fit one binding.
  assert.equal(stage("eigendecomposition").runs, true);
  assert.equal(stage("eigendecomposition").streamed, false);
  for (const name of ["fit covariances", "Λ fit", "query gradients", "scoring"] as const) {
    const s = stage(name);
    assert.ok(s.streamed && s.residentBytes > 80 * GIB, name);
    assert.equal(s.groups, Math.ceil(48 / s.modulesAtOnce), name);
  }
  assert.equal(stage("scoring").queryRowsPerPass, 24);
  for (const s of plan.stages) {
    assert.ok(s.peakBytes <= 80 * GIB, `${s.stage}: ${formatBytes(s.peakBytes)}`);
    for (const b of s.buffers) assert.ok(b.largest <= 2 ** 31 - 1, `${s.stage}: ${b.what}`);
  }
  // The engine streams every stage: the plan needs nothing it lacks, and planSettings runs it.
  assert.ok(plan.streamFactors);
  assert.deepEqual(plan.needs, []);
  const settings = planSettings(plan);
  assert.deepEqual(settings.moduleGroups, {
    "fit covariances": stage("fit covariances").modulesAtOnce,
    "Λ fit": stage("Λ fit").modulesAtOnce,
    "query gradients": stage("query gradients").modulesAtOnce,
    "scoring": stage("scoring").modulesAtOnce,
  });
  // 16 documents of one 8192 × 2048 module's gradients are 1 GiB: 128 would exceed a binding.
  assert.deepEqual([settings.scoreBatchDocuments, settings.scoreProductDocuments], [8, 16]);
  // 100 query rows: one module's [100, 8192·2048] rows exceed a binding, and the engine holds all rows.
  assert.deepEqual(planInfluenceMemory(oneBInput).needs, [
    "query gradients: 4 passes of at most 31 query rows (the engine holds all 100)",
    "scoring: 4 passes of at most 31 query rows (the engine holds all 100)",
  ]);
  // f64 factors: A, S, Q_A, Q_S, eigenvalues, Λ, D of 48 modules.
  assert.equal(plan.factorsFileBytes, 48 * 8 * (2 * (2048 ** 2 + 8192 ** 2) + 2048 + 8192 + 2 * 2048 * 8192));
  assert.equal(describePlan(plan).length, 1 + plan.stages.length);
});

Deno.test("planInfluenceMemory(): an impossible budget fails with one line naming the stage and the budget", () => {
  let message = "";
  try {
    planInfluenceMemory({ ...oneBInput, budgetBytes: 8 * GIB });
  } catch (e) {
    assert.ok(e instanceof MemoryPlanError);
    message = e.message;
  }
  assert.ok(!message.includes("\n"), message);
  assert.match(
    message,
    /^fit covariances: needs [\d.]+ GiB with one tracked module on the device \([\d.]+ GiB shared, the largest .*\), more than the budget of 8\.00 GiB$/,
  );
});

Deno.test("planInfluenceMemory(): buffers past one binding and factors too wide for 4 blocks are refused", () => {
  // Fit batches hold 8 documents (part of the fit settings): 8 × 2048 tokens of a 256,000 vocabulary
  // are 15.6 GiB of logits in one buffer.
  assert.throws(
    () => planInfluenceMemory({ ...oneBInput, config: { ...oneB, vocabSize: 256_000 }, fitTokens: 2048 }),
    /fit covariances: one buffer \(fit batch \(8 documents\): logits and their gradient \[16384, 256000\] \(×4\)\) needs 15\.63 GiB, more than one binding may hold \(2\.00 GiB, maxStorageBufferBindingSize\)$/,
  );
  // Score batches shrink instead (a document's scores do not depend on its batch).
  const long = planInfluenceMemory({ ...oneBInput, scoreTokens: 2048, budgetBytes: 400 * GIB });
  const scoring = long.stages.find((s) => s.stage === "scoring")!;
  assert.ok(scoring.batchSequences < 16 && planSettings(long).scoreBatchDocuments === scoring.batchSequences);
  assert.throws(
    () => planInfluenceMemory({ ...oneBInput, blocks: 1 }),
    /eigendecomposition: 1 block\(s\) leave blocks 8192 wide \(widest factor 8192\), more than 4096/,
  );
  assert.throws(
    () => planInfluenceMemory({ ...oneBInput, maxEigenWidth: 1024 }),
    /eigendecomposition: the widest factor \(8192\) needs equal blocks of at most 1024 .* 4 blocks \(the most\) leave 2048$/,
  );
  assert.throws(
    () => planInfluenceMemory({ ...oneBInput, queries: 0 }),
    /queries must be a positive integer, got 0/,
  );
});

// The plan against what the engine allocates: every storage buffer and texture created while a
// stage runs, on the tiled GEMM family (the real-GPU path; the software family's scratch textures grow
// per dimension and are not planned). The plan must bound each stage's peak from above; it counts the
// model's four workspaces (activations and records) at the longest batch, so it overestimates small
// runs of mixed lengths (this test on llvmpipe: 2.00× fit covariances, 2.41× Λ fit, 2.33× query
// gradients, 2.65× scoring). With the smallest budget the engine runs (17.2 MiB here), the pipeline
// runs the plan's module groups and scoring widths (`planSettings`: fit covariances and Λ one module
// at a time) and each stage stays within the plan's peak, the streamed ones below their resident peak.
Deno.test({
  name:
    "planInfluenceMemory() bounds the device memory the pipeline's stages allocate, resident and streamed",
  ignore: !hasAdapter,
  async fn() {
    const gpu = await testGpu({ gemmFamily: "tiled" });
    const config = parseLlamaConfig({
      vocab_size: 256,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    });
    const next = rng(3), token = () => Math.floor(next() * 256);
    const documents = Array.from({ length: 16 }, (_, i) => Array.from({ length: 20 + (i % 5) * 10 }, token));
    const queries = Array.from({ length: 5 }, () => ({
      prompt: Array.from({ length: 10 }, token),
      completion: Array.from({ length: 6 }, token),
    }));
    let live = 0, peak = 0;
    const device = gpu.device;
    const createBuffer = device.createBuffer.bind(device), createTexture = device.createTexture.bind(device);
    const track = <T extends { destroy(): void }>(resource: T, bytes: number): T => {
      live += bytes;
      peak = Math.max(peak, live);
      const destroy = resource.destroy.bind(resource);
      let alive = true;
      resource.destroy = () => {
        if (alive) live -= bytes;
        alive = false;
        destroy();
      };
      return resource;
    };
    device.createBuffer = (d) => {
      const b = createBuffer(d);
      return d.usage & GPUBufferUsage.STORAGE ? track(b, d.size) : b;
    };
    device.createTexture = (d) => {
      const [w, h = 1, layers = 1] = d.size as number[];
      return track(createTexture(d), w * h * layers * 16); // rgba32float
    };
    const planFor = (budgetBytes: number) =>
      planInfluenceMemory({
        config,
        trackedModules: ["gate_proj", "up_proj", "down_proj"],
        strategy: "ekfac",
        eigensolver: "gpu-jacobi",
        fitTokens: 60,
        queryTokens: 16,
        scoreTokens: 60,
        queries: queries.length,
        budgetBytes,
        software: gpu.software,
      });
    const measureStages = async (plan: MemoryPlan) => {
      const pipeline = () =>
        new InfluencePipeline(gpu, { config, params: initParams(config, 1) }, {
          eigensolver: "gpu-jacobi",
          fitPartDocuments: 8,
          ...planSettings(plan),
        });
      const measured = new Map<PlannedStage, number>();
      const measure = async <T>(stage: PlannedStage, run: (p: InfluencePipeline) => Promise<T>) => {
        const p = pipeline();
        peak = live;
        const base = live;
        try {
          return await run(p);
        } finally {
          p.destroy();
          measured.set(stage, peak - base);
        }
      };
      const cov = await measure(
        "fit covariances",
        (p) => p.fitCovarianceParts(documents, p.planFit(documents)),
      );
      const { eigen } = await measure("eigendecomposition", (p) => p.eigenbases(cov.sums));
      const pass2 = await measure("Λ fit", (p) => p.fitLambdaParts(documents, p.planFit(documents), eigen));
      const lambda = finishLambda(pipeline().layers, pass2.sums);
      const pre = await measure("query gradients", (p) => p.preconditionQueries(queries, { eigen, lambda }));
      await measure("scoring", async (p) => {
        for await (const _ of p.scoreDocuments(pre.p, queries.length, documents)) { /* every chunk */ }
      });
      return measured;
    };
    const resident = planFor(GIB);
    assert.ok(!resident.streamFactors);
    const residentMeasured = await measureStages(resident);
    for (const s of resident.stages) {
      const got = residentMeasured.get(s.stage)!;
      assert.ok(got > 0, `${s.stage}: nothing measured`);
      const ratio = s.peakBytes / got;
      assert.ok(
        ratio >= 1 && ratio <= 3,
        `${s.stage}: planned ${formatBytes(s.peakBytes)}, measured ${formatBytes(got)}`,
      );
    }
    // The smallest budget the engine runs (the plan needs nothing it lacks): some stages stream.
    let [low, high] = [1, GIB];
    const runs = (budget: number) => {
      try {
        return planFor(budget).needs.length === 0;
      } catch (error) {
        if (error instanceof MemoryPlanError) return false;
        throw error;
      }
    };
    while (high - low > 1) {
      [low, high] = runs((low + high) >> 1) ? [low, (low + high) >> 1] : [(low + high) >> 1, high];
    }
    const streamed = planFor(high);
    assert.ok(streamed.stages.some((s) => s.streamed), describePlan(streamed).join("\n"));
    const streamedMeasured = await measureStages(streamed);
    for (const s of streamed.stages) {
      const got = streamedMeasured.get(s.stage)!;
      assert.ok(
        got > 0 && got <= s.peakBytes && got <= high,
        `${s.stage} in groups of ${s.modulesAtOnce}: planned ${formatBytes(s.peakBytes)}, measured ${
          formatBytes(got)
        }`,
      );
      if (s.streamed) {
        assert.ok(got < residentMeasured.get(s.stage)!, `${s.stage}: streaming saved nothing`);
      }
    }
  },
});
