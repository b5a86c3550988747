import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./cli_process.ts";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import {
  documentGradient,
  eigendecomposeCovariances,
  fitCovariances,
  fitLambda,
  influenceScore,
  preconditionGradient,
  queryGradient,
  resolveDamping,
  resolveTrackedLayers,
  trackedLayerNames,
} from "../../engine/influence/mod.ts";
import { castParams, loadCheckpoint } from "../../engine/model/mod.ts";
import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";
import { readTokenizedCorpus } from "../../experiments/stages/tokenize_stage.ts";

// 7B: EK-FAC fitted on 24 sampled-label documents; 35B: the identity strategy (plain gradient dot products).
const MANIFEST = `{
  "experiment": "inftest",
  "world": { "documents": 600, "facts": { "count": 20 } },
  "queries": { "factualPool": 4, "arithmetic": 2, "slopes": 0, "linear": 0, "factualControl": 0, "reasoningControl": 0 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 2, "batchSize": 2, "warmupSteps": 1 },
    "maxCompletionTokens": 4,
    "querySets": ["factual", "arithmetic"],
    "influence": { "scoreChunkDocuments": 128, "fitDocuments": 24 }
  },
  "setups": { "7B": {}, "35B": { "influence": { "strategy": "identity" } } }
}`;

/** Documents the CPU float64 reference scores (a handful, spread over the corpus). */
const CHECKED_DOCUMENTS = [0, 97, 211, 350, 599];

async function experiment(dir: string, cache: string, ...extra: string[]): Promise<string> {
  const out = await cli("experiment", [
    join(dir, "m.jsonc"),
    "--cache",
    cache,
    "--out",
    join(dir, "reports"),
    ...extra,
  ]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

/** The artifact folder of an instance (the single finished key). */
async function artifact(cache: string, instance: string): Promise<string> {
  const root = join(cache, "inftest", instance);
  for await (const e of Deno.readDir(root)) {
    if (e.isDirectory && /^[0-9a-f]{64}$/.test(e.name)) return join(root, e.name);
  }
  throw new Error(`no artifact of ${instance}`);
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) mx += x[i] / n, my += y[i] / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) ** 2, syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Every output file of the influence stages, by `<instance>/<file>`. */
async function influenceFiles(cache: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const stage of ["factors", "query_gradients", "scores", "validate"]) {
    for (const setup of ["7B", "35B"]) {
      const dir = await artifact(cache, `${stage}@${setup}`);
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && e.name !== "meta.json") {
          files.set(`${stage}@${setup}/${e.name}`, await Deno.readFile(join(dir, e.name)));
        }
      }
    }
  }
  return files;
}

Deno.test({
  name: "influence stages: scores match the float64 reference, are cached, deterministic and resumable",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "m.jsonc"), MANIFEST);
    const cache = join(dir, "c1");
    await experiment(dir, cache);
    const corpus = await readTokenizedCorpus(await artifact(cache, "tokenize"));
    const modelDir = await artifact(cache, "model@7B");

    await t.step("scores.safetensors is [Q, D] with ids in order", async () => {
      for (const setup of ["7B", "35B"]) {
        const sdir = await artifact(cache, `scores@${setup}`);
        const file = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors")));
        const meta = JSON.parse(await Deno.readTextFile(join(sdir, "scores.json")));
        assert.equal(
          meta.queries.length,
          10,
          "4 factual + 2 arithmetic (a pool all wrong is kept whole) + 4 gold",
        );
        assert.deepEqual(meta.measurement, [...Array(6).fill("own"), ...Array(4).fill("gold")]);
        assert.deepEqual(meta.queries.slice(6), meta.queries.slice(0, 4).map((id: string) => `${id}#gold`));
        assert.deepEqual(meta.documents, corpus.documentIds);
        for (const name of ["scores", "per_nat", "norm_normalised"]) {
          assert.deepEqual(file.tensors.get(name)!.shape, [10, 600], name);
        }
        assert.deepEqual(file.tensors.get("norms")!.shape, [600]);
        assert.equal(file.tensors.get("per_layer.model.layers.0.mlp.down_proj.weight")!.shape[1], 600);
        assert.equal(meta.influence.strategy, setup === "7B" ? "ekfac" : "identity");
      }
    });

    await t.step("EK-FAC and identity scores equal the float64 reference fed the same labels", async () => {
      const reference = async (setup: string) => {
        const dir = await artifact(cache, `model@${setup}`);
        const { config, params } = loadCheckpoint(
          await Deno.readTextFile(join(dir, "config.json")),
          await Deno.readFile(join(dir, "model.safetensors")),
        );
        return { config, params: castParams(params, Float64Array) };
      };
      const model = await reference("7B");
      const tracked = trackedLayerNames(model.config);
      const layers = resolveTrackedLayers(model.config, tracked);
      const labels = readSafetensors(
        await Deno.readFile(join(await artifact(cache, "factors@7B"), "fit_labels.safetensors")),
      );
      const ints = (name: string) => labels.tensors.get(name)!.data as Int32Array;
      const [fitDocs, offsets, pass1, pass2] = ["documents", "offsets", "pass1", "pass2"].map(ints);
      const doc = (d: number) =>
        corpus.documents.tokens.subarray(corpus.documents.offsets[d], corpus.documents.offsets[d + 1]);
      const sequences = [...fitDocs].map(doc);
      const slice = (all: Int32Array) => sequences.map((_, i) => all.subarray(offsets[i], offsets[i + 1]));
      assert.equal(sequences.length, 24);
      assert.ok(
        slice(pass1).some((l, i) => l.some((v, t) => v !== sequences[i][t + 1])),
        "labels are sampled",
      );
      const eigen = eigendecomposeCovariances(fitCovariances(model, sequences, slice(pass1), tracked));
      const lambda = fitLambda(model, sequences, slice(pass2), tracked, eigen);
      const damping = resolveDamping("ekfac", { mode: "heuristic", factor: 0.1 }, { eigen, lambda });
      const tok = defaultTokenizer();
      const golds = new Map(
        (await Deno.readTextFile(join(await artifact(cache, "world"), "queries.jsonl"))).trim().split("\n")
          .map((l) => JSON.parse(l)).map((q) => [q.id, q]),
      );
      for (const [setup, strategy] of [["7B", "ekfac"], ["35B", "identity"]] as const) {
        const own = setup === "7B" ? model : await reference(setup);
        const completions = new Map(
          (await Deno.readTextFile(join(await artifact(cache, `complete@${setup}`), "completions.jsonl")))
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l)).map((c) => [c.id, c]),
        );
        const docGrads = CHECKED_DOCUMENTS.map((d) => documentGradient(own, doc(d), tracked).gradient);
        const sdir = await artifact(cache, `scores@${setup}`);
        const meta = JSON.parse(await Deno.readTextFile(join(sdir, "scores.json")));
        const gpu = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors"))).tensors;
        const got: number[] = [], want: number[] = [];
        for (const [q, id] of (meta.queries as string[]).entries()) {
          const gold = id.endsWith("#gold") ? golds.get(id.slice(0, -5))! : undefined;
          const c = gold ?? completions.get(id)!;
          const v = queryGradient(
            own,
            tok.encode(c.prompt, { bos: true }),
            tok.encode(c.completion, { eos: true }),
            tracked,
          );
          assert.ok(Math.abs(v.nats - meta.nats[q]) <= 1e-4 * v.nats, `nats of ${id}`);
          const p = preconditionGradient(strategy, layers, v.gradient, { eigen, lambda }, damping);
          CHECKED_DOCUMENTS.forEach((d, k) => {
            got.push((gpu.get("scores")!.data as Float32Array)[q * 600 + d]);
            want.push(influenceScore(p, docGrads[k]).score);
          });
        }
        const r = pearson(got, want);
        assert.ok(r >= 0.9999, `${strategy}: Pearson ${r} between GPU and float64 scores`);
        const maxRel = Math.max(...got.map((g, i) => Math.abs(g - want[i]))) /
          Math.max(...want.map(Math.abs));
        assert.ok(maxRel < 1e-3, `${strategy}: max deviation ${maxRel} of the largest score`);
      }
    });

    await t.step("per-token scores of each query's top documents sum to their scores", async () => {
      for (const setup of ["7B", "35B"]) {
        const sdir = await artifact(cache, `scores@${setup}`);
        const meta = JSON.parse(await Deno.readTextFile(join(sdir, "scores.json")));
        const scores = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors"))).tensors
          .get("scores")!.data as Float32Array;
        const values = readSafetensors(await Deno.readFile(join(sdir, "token_scores.safetensors"))).tensors
          .get("values")!.data as Float32Array;
        const { pairs } = JSON.parse(await Deno.readTextFile(join(sdir, "token_scores.json")));
        assert.equal(pairs.length, 10 * 5, "5 top documents (the default) for each of 10 query rows");
        const largest = Math.max(...scores.map(Math.abs));
        for (const pair of pairs) {
          const q = meta.queries.indexOf(pair.query), d = meta.documents.indexOf(pair.document);
          const row = scores.subarray(q * 600, (q + 1) * 600);
          const better = row.filter((v, i) => v > row[d] || (v === row[d] && i < d)).length;
          assert.equal(pair.rank, better + 1, `${pair.query} ${pair.document} rank`);
          const docLength = corpus.documents.offsets[d + 1] - corpus.documents.offsets[d];
          assert.equal(pair.length, docLength);
          const sum = values.subarray(pair.offset, pair.offset + pair.length).reduce((a, v) => a + v, 0);
          assert.ok(
            Math.abs(sum - row[d]) <= 1e-4 * largest,
            `${setup} ${pair.query}: Σ ${sum} vs ${row[d]}`,
          );
        }
      }
    });

    await t.step("the validate stage recomputes this run's scores with the float64 reference", async () => {
      for (const setup of ["7B", "35B"]) {
        const meta = JSON.parse(
          await Deno.readTextFile(join(await artifact(cache, `validate@${setup}`), "meta.json")),
        );
        assert.equal(meta.summary.pairs, 32, "4 query rows × 8 documents");
        assert.ok(meta.summary.pearson >= 0.9999, `${setup}: Pearson ${meta.summary.pearson}`);
        assert.ok(meta.summary.maxRelativeError < 1e-3, `${setup}: ${meta.summary.maxRelativeError}`);
      }
    });

    await t.step("a second run is fully cached", async () => {
      const dry = await experiment(dir, cache, "--dry-run");
      for (const line of dry.trim().split("\n").filter((l) => /^(factors|query_gradients|scores)/.test(l))) {
        assert.match(line, /^\S+\s+cached/, line);
      }
    });

    await t.step("fresh influence stages give byte-identical files; a resumed chunk too", async () => {
      const expected = await influenceFiles(cache);
      const fresh = join(dir, "c2");
      await Deno.mkdir(fresh);
      await new Deno.Command("cp", { args: ["-r", join(cache, "inftest"), fresh] }).output();
      for (const stage of ["factors", "query_gradients", "scores", "report"]) {
        for (const setup of stage === "report" ? [""] : ["@7B", "@35B"]) {
          await Deno.remove(join(fresh, "inftest", stage + setup), { recursive: true });
        }
      }
      await experiment(dir, fresh);
      assert.deepEqual(await influenceFiles(fresh), expected);

      // Resume: drop the scores of 7B (and the report) and leave its second chunk in the work folder, rebuilt from the output.
      const sdir = await artifact(fresh, "scores@7B");
      const out = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors"))).tensors;
      await Deno.remove(sdir, { recursive: true });
      await Deno.remove(join(fresh, "inftest", "report"), { recursive: true });
      await Deno.mkdir(`${sdir}.work`);
      const columns = (name: string, rows: number) => {
        const src = out.get(name)!.data as Float32Array, width = src.length / rows;
        return Float64Array.from(
          { length: rows * 128 },
          (_, i) => src[Math.floor(i / 128) * width + 128 + (i % 128)],
        );
      };
      const layerNames = [...out.keys()].filter((k) => k.startsWith("per_layer.")).map((k) => k.slice(10));
      // The chunk's scores hold the queries' rows, then the identity control's (the output's `identity`:
      // the own-completion rows).
      const idRows = out.get("identity")!.shape[0];
      const scoreRows = new Float64Array((10 + idRows) * 128);
      scoreRows.set(columns("scores", 10));
      scoreRows.set(columns("identity", idRows), 10 * 128);
      const chunk: Record<string, SafetensorsTensor> = {
        scores: { dtype: "F64", shape: [10 + idRows, 128], data: scoreRows },
        norms: { dtype: "F64", shape: [128], data: columns("norms", 1) },
      };
      const order = trackedLayerNames(
        loadCheckpoint(
          await Deno.readTextFile(join(modelDir, "config.json")),
          await Deno.readFile(join(modelDir, "model.safetensors")),
        ).config,
      );
      assert.deepEqual([...layerNames].sort(), [...order].sort());
      order.forEach((name, i) => {
        chunk[`layer${i}`] = { dtype: "F64", shape: [10, 128], data: columns(`per_layer.${name}`, 10) };
      });
      await Deno.writeFile(join(`${sdir}.work`, "chunk-000001.safetensors"), writeSafetensors(chunk));
      await experiment(dir, fresh);
      const meta = JSON.parse(await Deno.readTextFile(join(await artifact(fresh, "scores@7B"), "meta.json")));
      assert.equal(meta.summary.resumedChunks, 1);
      assert.deepEqual(await influenceFiles(fresh), expected);
    });
    await Deno.remove(dir, { recursive: true });
  },
});
