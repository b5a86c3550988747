import assert from "node:assert/strict";
import { join } from "node:path";
import { parseManifest } from "../../experiments/manifest/load_manifest.ts";
import { runTokenizer } from "../../experiments/stages/run_tokenizer.ts";
import { MANIFEST_LIMITS } from "../../experiments/manifest/check_limits.ts";
import { llamaConfigFor } from "../../experiments/stages/llama_config_for.ts";
import { paramCount } from "../../engine/model/mod.ts";
import vocab from "../../fixtures/tokenizer/vocab.json" with { type: "json" };
import { byoInputs, writeByoFixture } from "./byo_fixture.ts";
import { cli } from "./cli_process.ts";

const manifest = (extra: string, setups = '{"a": {}}') =>
  parseManifest(`{"experiment": "x", ${extra} "setups": ${setups}}`, { file: "m.jsonc" });

Deno.test("manifest tokenizer.numberChunks gives the character tokenizer number tokens; absent, the vocabulary is unchanged", async () => {
  const plain = await runTokenizer(manifest(""));
  assert.equal(plain.kind, "character");
  // The tokenize stage's settings are the committed vocabulary itself, so existing runs keep their digests.
  assert.deepEqual(plain.settings, { tokenizer: vocab });
  assert.equal(plain.tokenizer.vocabSize, 100);

  const numbers = await runTokenizer(manifest('"tokenizer": {"numberChunks": 3},'));
  assert.equal(numbers.kind, "character");
  assert.deepEqual(numbers.settings, { tokenizer: { ...vocab, numberChunks: 3 } });
  assert.equal(numbers.tokenizer.vocabSize, 1200);
  const ids = numbers.tokenizer.encode("(17 - 3) * 20 = 280");
  assert.equal(ids.length, "(17 - 3) * 20 = 280".length - 4);
  assert.equal(numbers.tokenizer.decode(ids), "(17 - 3) * 20 = 280");
});

Deno.test("manifest tokenizer: a bad numberChunks names the field; the proxies' parameters count the number tokens", () => {
  assert.throws(
    () => manifest('"tokenizer": {"numberChunks": 5},'),
    /Cannot read manifest "m.jsonc": tokenizer\.numberChunks/,
  );
  // A one-layer proxy whose MLP width puts it under the parameter limit with 100 embedding rows and over it
  // with the 1,100 more rows of the number tokens.
  const limit = MANIFEST_LIMITS.trainedParameters, hiddenSize = 16_384;
  const model = (intermediateSize: number) => ({
    hiddenSize,
    intermediateSize,
    layers: 1,
    heads: 128,
    kvHeads: 128,
  });
  const defaults = manifest("").setups[0].model;
  const count = (i: number, vocab: number) => paramCount(llamaConfigFor({ ...defaults, ...model(i) }, vocab));
  let intermediateSize = 1;
  while (count(intermediateSize + 1, 1200) <= limit) intermediateSize++;
  intermediateSize++;
  assert.ok(count(intermediateSize, 100) <= limit && count(intermediateSize, 1200) > limit);
  const setups = JSON.stringify({ a: { model: model(intermediateSize) } });
  assert.doesNotThrow(() => manifest("", setups));
  assert.throws(() => manifest('"tokenizer": {"numberChunks": 3},', setups), /parameters/);
});

Deno.test("manifest tokenizer with a checkpoint that brings its own tokenizer.json stops with one line", async () => {
  const dir = await Deno.makeTempDir();
  await writeByoFixture(dir);
  const r = await cli("experiment", [
    "experiments/bring-your-own.jsonc",
    ...byoInputs(dir),
    "--set",
    "tokenizer.numberChunks=3",
    "--until",
    "tokenize",
  ]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr.trim(),
    `error: Cannot tokenize: the manifest sets "tokenizer" (the proxies' character tokenizer) but setup small's ` +
      `checkpoint brings its own "${
        join(dir, "small", "tokenizer.json")
      }"; remove the manifest's "tokenizer" block`,
  );
  await Deno.remove(dir, { recursive: true });
});
