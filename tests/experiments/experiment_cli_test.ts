import assert from "node:assert/strict";
import { join } from "node:path";
import { reportJsonSchema } from "../../reports/render/mod.ts";
import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";
import { readSafetensors } from "../../engine/io/mod.ts";
import { loadCheckpoint } from "../../engine/model/mod.ts";
import { cli } from "./cli_process.ts";

const MANIFEST = `{
  "experiment": "clitest",
  "world": { "documents": 300, "facts": { "count": 10 } },
  "queries": { "factualPool": 6, "arithmetic": 4, "slopes": 2, "linear": 2, "factualControl": 2, "reasoningControl": 2 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 2, "batchSize": 2, "warmupSteps": 1, "arithmeticDrills": 0.1, "lengthBuckets": 2 },
    "maxCompletionTokens": 4,
    "influence": { "fitDocuments": 24, "scoreChunkDocuments": 150 }
  },
  "setups": { "7B": { "querySets": ["factual", "arithmetic"] }, "35B": { "model": { "hiddenSize": 32 } } },
  "counterfactual": { "queries": 1, "k": 4, "ldsSubsets": 4, "ldsDocuments": 60 }
}`;

async function setup(): Promise<{ dir: string; manifest: string; common: string[] }> {
  const dir = await Deno.makeTempDir();
  const manifest = join(dir, "m.jsonc");
  await Deno.writeTextFile(manifest, MANIFEST);
  return { dir, manifest, common: ["--cache", join(dir, "cache"), "--out", join(dir, "reports")] };
}

Deno.test("experiment: a bad manifest exits 1 with one line and no stack trace", async () => {
  const { dir, manifest, common } = await setup();
  await Deno.writeTextFile(manifest, `{"experiment": "x", "setups": {"7B": {"model": {"layers": -1}}}}`);
  const r = await cli("experiment", [manifest, ...common]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: Cannot read manifest "${manifest}": setups.7B.model.layers must be a positive integer, got -1\n`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiment: unknown flags, stages and setups are user errors", async () => {
  const { dir, manifest, common } = await setup();
  const flag = await cli("experiment", [manifest, "--frobnicate", ...common]);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /^error: .*--frobnicate/);
  const stage = await cli("experiment", [manifest, "--force=wrld", ...common]);
  assert.equal(
    stage.stderr,
    "error: --force=wrld: no such stage; stages are world, tokenize, model, complete, covariances, factors, " +
      "query_gradients, scores, controls, counterfactual, validate, analyses, report\n",
  );
  const setupName = await cli("experiment", [manifest, "--setup", "8B", ...common]);
  assert.equal(setupName.stderr, `error: --setup 8B: "${manifest}" has no such setup; it has 7B, 35B\n`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiment: --until STAGE plans only that stage and what it needs", async () => {
  const { dir, manifest, common } = await setup();
  const dry = await cli("experiment", [manifest, "--until", "complete", "--dry-run", ...common]);
  assert.equal(dry.code, 0, dry.stderr);
  const planned = dry.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(planned, ["world", "tokenize", "model@7B", "model@35B", "complete@7B", "complete@35B"]);
  const bad = await cli("experiment", [manifest, "--until", "scorez", "--dry-run", ...common]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: --until scorez: no such stage; stages are world, /);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiment: dry run, run, then every stage cached, with a valid report", async () => {
  const { dir, manifest, common } = await setup();
  const dry = await cli("experiment", [manifest, "--dry-run", ...common]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^world\s+run\s+not computed before$/m);
  assert.match(dry.stdout, /^tokenize\s+run\s+input world will run first$/m);
  const run = await cli("experiment", [manifest, ...common]);
  assert.equal(run.code, 0, run.stderr);
  const again = await cli("experiment", [manifest, "--dry-run", ...common]);
  for (const stage of ["world", "tokenize", "report"]) {
    assert.match(again.stdout, new RegExp(`^${stage}\\s+cached`, "m"));
  }
  const changed = await cli("experiment", [manifest, "--dry-run", "--set", "world.documents=250", ...common]);
  assert.match(changed.stdout, /^world\s+run\s+settings changed: world\.documents \(300 → 250\)$/m);

  const reports = join(dir, "reports", "clitest");
  const latest = JSON.parse(await Deno.readTextFile(join(reports, "latest.json")));
  const folder = join(reports, latest.runId);
  const json = JSON.parse(await Deno.readTextFile(join(folder, "report.json")));
  reportJsonSchema.parse(json);
  assert.equal(json.experiment, "clitest");
  assert.deepEqual(Object.keys(json.setups).sort(), ["35B", "7B"]);
  assert.ok(json.setups["35B"].parameterCount > json.setups["7B"].parameterCount);
  assert.equal(json.world.documents, 300);
  assert.deepEqual(
    Object.keys(json.timings).sort(),
    [
      "analyses",
      "complete@35B",
      "complete@7B",
      "controls@35B",
      "controls@7B",
      "counterfactual@35B",
      "counterfactual@7B",
      "covariances@35B",
      "covariances@7B",
      "factors@35B",
      "factors@7B",
      "model@35B",
      "model@7B",
      "query_gradients@35B",
      "query_gradients@7B",
      "scores@35B",
      "scores@7B",
      "tokenize",
      "validate@35B",
      "validate@7B",
      "world",
    ],
    "the stages before the report",
  );
  assert.match(json.setups["7B"].checkpointSha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(Object.keys(json.setups["7B"].accuracy).sort(), ["arithmetic", "factual"]);
  assert.equal(json.setups["7B"].counts.arithmetic.total, 4);
  assert.deepEqual(Object.keys(json.setups["7B"].stepDiagnostics), ["arithmetic"], "reasoning sets only");
  assert.equal(json.setups["7B"].stepDiagnostics.arithmetic.completions, 4);
  assert.equal(json.setups["7B"].training.trainedOn, "this run", "trained in the run's model stage");
  assert.equal(json.setups["7B"].training.arithmeticDrills, 0.1);
  assert.deepEqual(Object.keys(json.setups["35B"].stepDiagnostics).sort(), [
    "arithmetic",
    "linear",
    "slopes",
  ]);
  const html = await Deno.readTextFile(join(folder, "report.html"));
  assert.match(html, /The synthetic pretraining world/);
  assert.match(html, /Influence scores/);
  assert.match(html, /Where the reasoning completions break/);
  assert.match(html, /Training loss/, "the loss curve of the proxies trained in the run");
  for (const title of ["Findings", "F1 — ", "F2 — ", "F3 — ", "F4 — ", "F5 — ", "Queries"]) {
    assert.ok(html.includes(`>${title}`), title);
  }
  assert.deepEqual(json.findings.map((f: { id: string }) => f.id), [
    "F1",
    "F1x",
    "F2",
    "F2a",
    "F2m",
    "F3",
    "F4",
    "F5r",
    "F5f",
  ]);
  // Every finding is measured on the three controls too, per setup, beside influence.
  for (const f of json.findings) {
    assert.deepEqual(Object.keys(f.controls).sort(), ["identity", "lexical", "untrained"], f.id);
    for (const c of Object.values(f.controls) as { verdicts: Record<string, string> }[]) {
      assert.deepEqual(Object.keys(c.verdicts).sort(), Object.keys(f.verdicts).sort(), f.id);
    }
  }
  assert.match(html, /Controls, measured with the same queries/);
  for (const setup of ["7B", "35B"]) {
    assert.ok(json.validation.gpuVsReference[setup].pearson >= 0.9999, `${setup} GPU vs reference`);
    assert.ok(json.validation.gpuVsReference[setup].identity.pearson >= 0.9999, `${setup} identity control`);
  }
  // The counterfactual checks reach report.json and the report, per setup: every arm and strategy.
  for (const setup of ["7B", "35B"]) {
    const cf = json.validation.counterfactual[setup];
    assert.equal(cf.k, 4, setup);
    assert.ok(cf.queries.length >= 2, `${setup}: one query per set`);
    for (const arm of ["topk", "random", "bottomk", "identity", "lexical"]) {
      assert.ok(Number.isFinite(cf[arm].mean) && cf[arm].low <= cf[arm].high, `${setup} ${arm}`);
    }
    for (const strategy of ["ekfac", "kfac", "diagonal", "identity"]) {
      const lds = json.validation.lds[setup][strategy];
      assert.equal(lds.subsets, 4, `${setup} ${strategy}`);
      assert.ok(lds.mean >= -1 && lds.mean <= 1, `${setup} ${strategy}`);
    }
  }
  assert.match(html, /Counterfactual checks/);
  assert.equal(json.influence.results["7B"].documents, 300);
  const planted = json.validation.plantedFacts["7B"];
  assert.equal(planted.k, 50);
  assert.ok(planted.queries > 0 && planted.perQuery.every((q: { ranks: number[] }) => q.ranks[0] >= 1));
  assert.ok((html.match(/<svg/g) ?? []).length >= 3, "the world charts are inlined as SVG");
  assert.doesNotMatch(html, /src="http|<link /);
  await Deno.stat(join(folder, "report.md"));

  const other = await cli("experiment", [manifest, "--set", "world.documents=250", ...common]);
  assert.equal(other.code, 0, other.stderr);
  const second = JSON.parse(await Deno.readTextFile(join(reports, "latest.json"))).runId;
  assert.notEqual(second, latest.runId);
  const diff = await cli("report", ["diff", folder, join(reports, second)]);
  assert.equal(diff.code, 0, diff.stderr);
  assert.match(diff.stdout, /world\.documents: 300 → 250/);
  const missing = await cli("report", ["diff", folder, dir]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: Cannot read report "${dir}": no report.json in that folder\n`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("export: the model, the scored tokens and the raw scores, consistent with each other", async () => {
  const { dir, manifest } = await setup();
  const out = join(dir, "export");
  const r = await cli("export", [manifest, "--setup", "7B", "--out", out, "--cache", join(dir, "cache")]);
  assert.equal(r.code, 0, r.stderr);
  const tok = defaultTokenizer();
  const lines = async (name: string) =>
    (await Deno.readTextFile(join(out, name))).trim().split("\n").map((l) => JSON.parse(l));
  const docs = await lines("docs.jsonl");
  const world =
    (await Deno.readTextFile(join(dir, "cache", "clitest", "world", await firstKey(dir), "documents.jsonl")))
      .trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(docs.length, 300);
  docs.forEach((d, i) => {
    assert.equal(d.id, world[i].id);
    assert.deepEqual(d.input_ids, Array.from(tok.encode(world[i].text, { bos: true, eos: true })));
  });
  const fit = await lines("fit.jsonl");
  assert.equal(fit.length, 24, "influence.fitDocuments");
  const byId = new Map(docs.map((d) => [d.id, d.input_ids]));
  for (const f of fit) assert.deepEqual(f.input_ids, byId.get(f.id));
  const queries = await lines("queries.jsonl");
  const meta = JSON.parse(await Deno.readTextFile(join(out, "scores.json")));
  assert.deepEqual(queries.map((q) => q.id), meta.queries);
  assert.deepEqual(meta.documents, docs.map((d) => d.id));
  assert.equal(queries[0].prompt_ids[0], tok.special.bos);
  assert.equal(queries[0].completion_ids.at(-1), tok.special.eos);
  assert.equal(meta.influence.strategy, "ekfac");
  const scores = readSafetensors(await Deno.readFile(join(out, "scores.safetensors"))).tensors.get("scores")!;
  assert.deepEqual(scores.shape, [queries.length, 300]);
  assert.ok(scores.data.every((x) => Number.isFinite(x)));
  const model = loadCheckpoint(
    await Deno.readTextFile(join(out, "config.json")),
    await Deno.readFile(join(out, "model.safetensors")),
  );
  assert.equal(model.config.hiddenSize, 16);
  // The character vocabulary is exported under its own name, not as a Hugging Face tokenizer.json.
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "vocab.json"))), tok.toJSON());
  assert.equal(await Deno.stat(join(out, "tokenizer.json")).then(() => true, () => false), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test('export: with influence.fitFrom "unscored" on a stream world, the fit documents are unscored ones', async () => {
  const { dir, manifest } = await setup();
  const out = join(dir, "export");
  const r = await cli("export", [
    manifest,
    ...["--setup", "7B", "--out", out, "--cache", join(dir, "cache")],
    ...["--set", "world.layout=stream", "--set", "world.unscored.documents=200"],
    ...["--set", "setupDefaults.influence.fitFrom=unscored", "--set", "setupDefaults.maxCompletionTokens=2"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = async (path: string) =>
    (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
  const unscored = await lines(join(dir, "cache", "clitest", "world", await firstKey(dir), "unscored.jsonl"));
  assert.equal(unscored.length, 200);
  const tok = defaultTokenizer();
  const text = new Map(unscored.map((d) => [d.id, d.text]));
  const fit = await lines(join(out, "fit.jsonl"));
  assert.equal(fit.length, 24);
  const scored = new Set((await lines(join(out, "docs.jsonl"))).map((d) => d.id));
  for (const f of fit) {
    assert.match(f.id, /^unscored-\d{6}$/);
    assert.ok(!scored.has(f.id));
    assert.deepEqual(f.input_ids, Array.from(tok.encode(text.get(f.id)!, { bos: true, eos: true })));
  }
  await Deno.remove(dir, { recursive: true });
});

async function firstKey(dir: string): Promise<string> {
  for await (const e of Deno.readDir(join(dir, "cache", "clitest", "world"))) {
    if (/^[0-9a-f]{64}$/.test(e.name)) return e.name;
  }
  throw new Error("no world artifact");
}

Deno.test("experiment: exact-expectation labels beyond the budget are refused with the figures", async () => {
  const { dir, manifest, common } = await setup();
  const r = await cli("experiment", [
    manifest,
    "--setup",
    "7B",
    "--set",
    "setupDefaults.influence.labels=exact",
    "--set",
    "setupDefaults.influence.fitDocuments=null",
    ...common,
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: Setup 7B: influence\.labels "exact" needs \d+ fit positions × 100 vocabulary entries = \d+ backward passes \(at most 50000\); lower influence\.fitDocuments or use "sampled"\n$/m,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: writes a trained proxy with its learning curve; sessions on other data are not counted", async () => {
  const { dir, manifest } = await setup();
  const out = join(dir, "proxy");
  const cache = join(dir, "cache");
  const first = await cli("train", [manifest, "--setup", "7B", "--out", out, "--cache", cache]);
  assert.equal(first.code, 0, first.stderr);
  const record = JSON.parse(await Deno.readTextFile(join(out, "training.json")));
  assert.equal(record.status, "trained");
  assert.equal(record.step, 2);
  assert.deepEqual(record.evaluations.map((e: { step: number }) => e.step), [2], "graded at the end");
  assert.deepEqual(Object.keys(record.evaluations[0].accuracy).sort(), ["arithmetic", "factual"]);
  assert.deepEqual(
    Object.keys(record.evaluations[0].steps),
    ["arithmetic"],
    "step diagnostics of reasoning sets",
  );
  assert.equal(record.stepDiagnostics.arithmetic.completions, 4);
  assert.equal(record.training.arithmeticDrills, 0.1);
  const log = (await Deno.readTextFile(join(out, "train_log.jsonl"))).trim().split("\n");
  assert.equal(log.length, 1);
  assert.equal(record.wallSeconds, JSON.parse(log[0]).wallSeconds);
  // Another world (another seed): a new training whose record keeps no session of the old one.
  const again = await cli("train", [
    manifest,
    "--setup",
    "7B",
    "--out",
    out,
    "--cache",
    cache,
    "--set",
    "seed=99",
  ]);
  assert.equal(again.code, 0, again.stderr);
  const log2 = (await Deno.readTextFile(join(out, "train_log.jsonl"))).trim().split("\n");
  assert.equal(log2.length, 1, "the old session was dropped");
  const record2 = JSON.parse(await Deno.readTextFile(join(out, "training.json")));
  assert.notEqual(record2.data.world, record.data.world);
  assert.equal(record2.evaluations.length, 1);
  await Deno.remove(dir, { recursive: true });
});
