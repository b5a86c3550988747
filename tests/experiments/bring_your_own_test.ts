import assert from "node:assert/strict";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { readSafetensors } from "../../engine/io/mod.ts";
import { cli } from "./cli_process.ts";
import { byoInputs as inputs, fixtureCorpus, fixtureQueries, writeByoFixture } from "./byo_fixture.ts";

const MANIFEST = "experiments/bring-your-own.jsonc";

/** Small enough for the software adapter: every document fitted, few permutations and resamples. */
const SMALL = [
  "--set",
  "setupDefaults.maxCompletionTokens=6",
  "--set",
  "setupDefaults.influence.fitDocuments=16",
  "--set",
  "setupDefaults.influence.fitPartDocuments=16",
  "--set",
  "analyses.permutations=50",
  "--set",
  "analyses.bootstrap.resamples=50",
  "--set",
  "report.queryPages=2",
];

/** The one artifact folder of a stage (the test's cache holds one run). */
async function artifact(dir: string, stage: string): Promise<string> {
  const root = join(dir, "cache", "bring-your-own", stage);
  for await (const e of Deno.readDir(root)) if (/^[0-9a-f]{64}$/.test(e.name)) return join(root, e.name);
  throw new Error(`no ${stage} artifact`);
}

Deno.test({
  name:
    "bring-your-own: HF Llamas (BPE tokenizer.json, GQA, untied, BF16 in two shards) on a JSONL corpus end to end",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const { tokenizerJson, tokenizerConfig } = await writeByoFixture(dir);
    const r = await cli("experiment", [MANIFEST, ...inputs(dir), ...SMALL]);
    assert.equal(r.code, 0, r.stderr);

    // Token ids: the tokenizer library's own encoding (its post-processor's BOS), then EOS.
    const library = new Tokenizer(tokenizerJson, tokenizerConfig);
    const tokenize = await artifact(dir, "tokenize");
    const docs = readSafetensors(await Deno.readFile(join(tokenize, "documents.safetensors"))).tensors;
    const tokens = docs.get("tokens")!.data as Int32Array, offsets = docs.get("offsets")!.data as Int32Array;
    const corpus = fixtureCorpus();
    assert.equal(offsets.length, corpus.length + 1);
    corpus.forEach((d, i) => {
      const expected = [...library.encode(d.text).ids, 1];
      assert.equal(expected[0], 0, "BOS from the post-processor");
      assert.deepEqual(Array.from(tokens.subarray(offsets[i], offsets[i + 1])), expected, d.id);
    });
    const qs = readSafetensors(await Deno.readFile(join(tokenize, "queries.safetensors"))).tensors;
    const promptTokens = qs.get("prompt_tokens")!.data as Int32Array;
    const promptOffsets = qs.get("prompt_offsets")!.data as Int32Array;
    fixtureQueries().forEach((q, i) => {
      assert.deepEqual(
        Array.from(promptTokens.subarray(promptOffsets[i], promptOffsets[i + 1])),
        library.encode(q.prompt as string).ids,
      );
    });
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(join(tokenize, "tokenizer.json"))),
      tokenizerJson,
      "the tokenize stage keeps the HF tokenizer.json it used",
    );

    // The sharded BF16 checkpoints were joined (float32) and their scores match the float64 reference.
    const latest = JSON.parse(await Deno.readTextFile(join(dir, "reports", "bring-your-own", "latest.json")));
    const report = JSON.parse(
      await Deno.readTextFile(join(dir, "reports", "bring-your-own", latest.runId, "report.json")),
    );
    assert.ok(report.findings.length > 0);
    if (Deno.env.get("BYO_DUMP")) await Deno.writeTextFile(Deno.env.get("BYO_DUMP")!, JSON.stringify(report));
    for (const setup of ["small", "large"]) {
      const meta = JSON.parse(
        await Deno.readTextFile(join(await artifact(dir, `validate@${setup}`), "meta.json")),
      );
      const validation = meta.summary as { pearson: number; maxRelativeError: number; pairs: number };
      assert.ok(validation.pairs > 0);
      assert.ok(validation.pearson > 0.9999, `${setup}: ${JSON.stringify(validation)}`);
      assert.ok(validation.maxRelativeError < 1e-3, `${setup}: ${JSON.stringify(validation)}`);
      const complete = JSON.parse(
        await Deno.readTextFile(join(await artifact(dir, `complete@${setup}`), "completions.jsonl")).then((
          t,
        ) => "[" + t.trim().split("\n").join(",") + "]"),
      ) as { id: string; completion: string }[];
      assert.equal(complete.length, fixtureQueries().length);
      const given = complete.find((c) => c.id === "a2")!;
      assert.equal(given.completion, fixtureQueries()[4].completion, "a given completion is kept");
    }
    // The export writes the Hugging Face tokenizer the run used, under its own names, and its token ids.
    const out = join(dir, "export");
    const exported = await cli("export", [
      MANIFEST,
      ...inputs(dir),
      ...SMALL,
      "--setup",
      "small",
      "--out",
      out,
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "tokenizer.json"))), tokenizerJson);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(join(out, "tokenizer_config.json"))),
      tokenizerConfig,
    );
    assert.equal(await Deno.stat(join(out, "vocab.json")).then(() => true, () => false), false);
    const exportedDocs = (await Deno.readTextFile(join(out, "docs.jsonl"))).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(exportedDocs[3].input_ids, [...library.encode(corpus[3].text).ids, 1]);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("bring-your-own: bad inputs stop with one line naming the file and field", async () => {
  const dir = await Deno.makeTempDir();
  await writeByoFixture(dir);
  const run = async (edit: () => Promise<void>) => {
    await edit();
    const r = await cli("experiment", [MANIFEST, ...inputs(dir), "--dry-run"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    return r.stderr.trim();
  };
  const queries = join(dir, "queries.jsonl");
  const good = await Deno.readTextFile(queries);
  assert.equal(
    await run(() => Deno.writeTextFile(queries, good + '{"id": "x", "set": "poetry", "prompt": "p"}\n')),
    `error: Cannot read "${queries}" (queries.path) line 8: kind is required for set "poetry" (not one of the ` +
      "study's sets factual, arithmetic, slopes, linear, factual_control, reasoning_control): factual, " +
      "reasoning or control, got nothing",
  );
  assert.equal(
    await run(() => Deno.writeTextFile(queries, good + '{"id": "x", "set": "slopes", "prompt": 3}\n')),
    `error: Cannot read "${queries}" (queries.path) line 8: prompt must be a non-empty string, got 3`,
  );
  assert.equal(
    await run(() =>
      Deno.writeTextFile(queries, good + '{"id": "x", "set": "slopes", "kind": "factual", "prompt": "p"}\n')
    ),
    `error: Cannot read "${queries}" (queries.path) line 8: kind factual does not fit set slopes ` +
      `(kind factual is set factual)`,
  );
  await Deno.writeTextFile(queries, good);
  const largeConfig = join(dir, "large", "tokenizer_config.json");
  const config = await Deno.readTextFile(largeConfig);
  assert.equal(
    await run(() => Deno.writeTextFile(largeConfig, config.replace('"</s>"', '"<s>"'))),
    `error: Cannot tokenize: "${largeConfig}" (setup large) differs from "${
      join(dir, "small", "tokenizer_config.json")
    }" (setup small); every setup must use the same tokenizer`,
  );
  await Deno.writeTextFile(largeConfig, config);
  const corpus = join(dir, "corpus.jsonl");
  assert.equal(
    await run(() => Deno.writeTextFile(corpus, '{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n')),
    `error: Cannot read "${corpus}" (corpus.path) line 2: id "a" is used by an earlier document`,
  );
  await Deno.writeTextFile(corpus, '{"id": "a", "text": "x"}\n');
  const index = join(dir, "large", "model.safetensors.index.json");
  assert.equal(
    await run(() => Deno.remove(join(dir, "large", "model-00002-of-00002.safetensors"))),
    `error: Cannot load the model of setup large: "${
      join(dir, "large", "model-00002-of-00002.safetensors")
    }" does not exist (train it with deno task train --setup large, or point setups.large.checkpoint at a ` +
      "Hugging Face Llama folder)",
  );
  assert.ok(index);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bring-your-own: a device budget the checkpoint's memory plan cannot fit stops the model stage in one line", async () => {
  const dir = await Deno.makeTempDir();
  await writeByoFixture(dir);
  const budget = ["--set", "setupDefaults.deviceMemoryGiB=0.001", "--until", "model"];
  const r = await cli("experiment", [MANIFEST, ...inputs(dir), ...budget]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^error: Cannot run setup (small|large): setups\.\1\.deviceMemoryGiB: 0\.001 GiB cannot hold the influence stages: fit covariances: needs [\d.]+ MiB with one tracked module on the device .*more than the budget of 1\.0 MiB$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bring-your-own: corpus.path and queries.path go together; the manifest resolves with both", async () => {
  const { parseManifest } = await import("../../experiments/manifest/load_manifest.ts");
  assert.throws(
    () =>
      parseManifest('{"experiment": "x", "corpus": {"path": "c.jsonl"}, "setups": {"a": {}}}', { file: "m" }),
    /^ManifestError: Cannot read manifest "m": corpus.path needs queries.path: the generated queries ask about the synthetic world$/,
  );
  assert.throws(
    () =>
      parseManifest('{"experiment": "x", "queries": {"path": "q.jsonl"}, "setups": {"a": {}}}', {
        file: "m",
      }),
    /queries.path needs corpus.path/,
  );
  const m = parseManifest(await Deno.readTextFile(MANIFEST), {
    file: MANIFEST,
    set: ["corpus.path=/c.jsonl"],
  });
  assert.equal(m.corpus?.path, "/c.jsonl");
  assert.deepEqual(m.setups.map((s) => s.name), ["small", "large"]);
});
