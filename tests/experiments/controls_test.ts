import assert from "node:assert/strict";
import { join } from "node:path";
import { readSafetensors } from "../../engine/io/mod.ts";
import { bm25Scores } from "../../reports/analyses/bm25.ts";
import { cli } from "./cli_process.ts";

const MANIFEST = `{
  "experiment": "controlstest",
  "world": { "documents": 120, "facts": { "count": 8 } },
  "queries": { "factualPool": 4, "arithmetic": 3, "slopes": 3, "linear": 0, "factualControl": 0, "reasoningControl": 0 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 3, "batchSize": 2, "warmupSteps": 1 },
    "maxCompletionTokens": 4,
    "influence": { "fitDocuments": 16, "scoreChunkDocuments": 60 }
  },
  "setups": { "7B": { "querySets": ["factual", "arithmetic", "slopes"] } }
}`;

/** The newest finished artifact folder of a stage in a cache. */
async function artifact(cache: string, stage: string): Promise<string> {
  const dir = join(cache, "controlstest", stage);
  for await (const e of Deno.readDir(dir)) if (/^[0-9a-f]{64}$/.test(e.name)) return join(dir, e.name);
  throw new Error(`no ${stage} artifact`);
}

const tensor = async (dir: string, file: string, name: string) => {
  const t = readSafetensors(await Deno.readFile(join(dir, file))).tensors.get(name);
  return t === undefined ? undefined : { shape: t.shape, data: t.data as Float32Array };
};
const must = async (dir: string, file: string, name: string) => (await tensor(dir, file, name))!;

Deno.test("controls: the identity rows equal the identity strategy's scores, BM25 and the untrained model are what they say", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const manifest = join(dir, "m.jsonc");
    await Deno.writeTextFile(manifest, MANIFEST);
    const ekfacCache = join(dir, "ekfac"), identityCache = join(dir, "identity");
    const run = (cache: string, ...extra: string[]) =>
      cli("experiment", [manifest, "--cache", cache, "--out", join(dir, "reports"), ...extra]);
    const a = await run(ekfacCache);
    assert.equal(a.code, 0, a.stderr);
    const b = await run(identityCache, "--set", "setupDefaults.influence.strategy=identity");
    assert.equal(b.code, 0, b.stderr);

    // Identity control: formed in the EK-FAC run's scoring pass, equal to a run with strategy identity.
    const ekfacScores = await artifact(ekfacCache, "scores@7B");
    const control = await must(ekfacScores, "scores.safetensors", "identity");
    const identity = await must(await artifact(identityCache, "scores@7B"), "scores.safetensors", "scores");
    const main = await must(ekfacScores, "scores.safetensors", "scores");
    // The control keeps the own-completion rows, which come first; the gold rows (the planted-fact check's)
    // are left out.
    const meta = JSON.parse(await Deno.readTextFile(join(ekfacScores, "scores.json")));
    const own = (meta.queries as string[]).filter((id) => !id.endsWith("#gold"));
    assert.ok(own.length < meta.queries.length, "the test world has gold rows to leave out");
    assert.deepEqual(control.shape, [own.length, identity.shape[1]]);
    let largest = 0, diff = 0, differs = 0;
    control.data.forEach((x, i) => {
      largest = Math.max(largest, Math.abs(identity.data[i]));
      diff = Math.max(diff, Math.abs(x - identity.data[i]));
      differs = Math.max(differs, Math.abs(main.data[i] - identity.data[i]));
    });
    assert.ok(diff <= 1e-5 * largest, `identity control vs identity strategy: ${diff} of ${largest}`);
    assert.ok(differs > 1e-3 * largest, "EK-FAC scores should differ from the plain dot product");
    assert.deepEqual(meta.controls, ["identity"]);
    // The identity strategy's own run has no separate control rows (they would be its scores).
    assert.equal(
      await tensor(await artifact(identityCache, "scores@7B"), "scores.safetensors", "identity"),
      undefined,
    );

    // The validate stage checks the identity rows against the float64 reference too.
    const validation = JSON.parse(
      await Deno.readTextFile(join(await artifact(ekfacCache, "validate@7B"), "meta.json")),
    );
    assert.ok(validation.summary.identity.pearson > 0.99999, JSON.stringify(validation.summary.identity));

    // Lexical control: BM25 of each row's prompt + completion against the documents' texts.
    const controls = await artifact(ekfacCache, "controls@7B");
    const file = JSON.parse(await Deno.readTextFile(join(controls, "controls.json")));
    assert.deepEqual(file.queries, own);
    const docs = (await Deno.readTextFile(join(await artifact(ekfacCache, "world"), "documents.jsonl")))
      .trim()
      .split("\n").map((l) => JSON.parse(l));
    const completions = new Map(
      (await Deno.readTextFile(join(await artifact(ekfacCache, "complete@7B"), "completions.jsonl"))).trim()
        .split("\n").map((l) => JSON.parse(l)).map((c) => [c.id, c]),
    );
    const want = bm25Scores(
      own.map((id) => completions.get(id).prompt + completions.get(id).completion),
      docs.map((d) => d.text),
    );
    const lexical = await must(controls, "controls.safetensors", "lexical");
    assert.deepEqual(lexical.shape, [file.queries.length, docs.length]);
    for (let i = 0; i < want.length; i++) assert.equal(lexical.data[i], Math.fround(want[i]));

    // Untrained control: finite, not the trained model's dot products, and its nats are those of an
    // untrained model (near ln(vocabulary) per completion token, far above the trained ones).
    const untrained = await must(controls, "controls.safetensors", "untrained");
    assert.ok(untrained.data.every(Number.isFinite));
    assert.ok(untrained.data.some((x, i) => Math.abs(x - control.data[i]) > 1e-3 * largest));
    const queries = JSON.parse(
      await Deno.readTextFile(join(await artifact(ekfacCache, "query_gradients@7B"), "queries.json")),
    );
    file.untrained.nats.forEach((n: number, i: number) => {
      const perToken = n / queries.completionTokens[i];
      assert.ok(Math.abs(perToken - Math.log(100)) < 0.5, `untrained nats per token ${perToken}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
