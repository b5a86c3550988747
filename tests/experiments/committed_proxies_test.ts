import assert from "node:assert/strict";
import { join } from "node:path";
import { loadManifest, parseManifest } from "../../experiments/manifest/load_manifest.ts";
import { sha256Hex } from "../../experiments/run/hash.ts";
import { checkpointDir, PROXY_FILES } from "../../experiments/train/proxy_files.ts";

// The default manifest is the recipe of the proxies it loads: `deno task train` with it must redo them.
// A training record written before a setting existed lacks its key, which then means the setting's default.
Deno.test("the committed proxies were trained as the default manifest says, and their records match their files", async () => {
  const m = await loadManifest("experiments/procedural-knowledge.jsonc");
  const defaults = parseManifest(`{ "experiment": "d", "setups": { "s": {} } }`, { file: "d.jsonc" })
    .setups[0]
    .training as unknown as Record<string, unknown>;
  for (const setup of m.setups) {
    const dir = checkpointDir(m, setup);
    assert.ok(dir !== null, `setup ${setup.name} loads a committed checkpoint`);
    const record = JSON.parse(await Deno.readTextFile(join(dir, PROXY_FILES.record)));
    assert.equal(record.setup, setup.name, `${dir}: training.json names its setup`);
    assert.equal(record.status, "trained", `${dir}: a finished training, not an intermediate checkpoint`);
    assert.equal(record.step, record.steps, `${dir}: trained all its steps`);
    const recorded: Record<string, unknown> = {};
    for (const key of Object.keys(setup.training)) recorded[key] = record.training[key] ?? defaults[key];
    assert.deepEqual(recorded, { ...setup.training }, `${dir}: training settings against the manifest's`);
    for (const [key, value] of Object.entries(setup.model)) {
      assert.deepEqual(record.model[key], value, `${dir}: model.${key} against the manifest's`);
    }
    const sha = await sha256Hex(await Deno.readFile(join(dir, PROXY_FILES.weights)));
    assert.equal(record.checkpointSha256, sha, `${dir}: training.json's sha256 is model.safetensors'`);
    const config = JSON.parse(await Deno.readTextFile(join(dir, PROXY_FILES.config)));
    assert.equal(config.hidden_size, setup.model.hiddenSize, `${dir}: config.json's hidden_size`);
    assert.equal(config.num_hidden_layers, setup.model.layers, `${dir}: config.json's num_hidden_layers`);
    // The last graded checkpoint is the final one, and the committed completions are the ones it graded.
    const last = record.evaluations?.at(-1);
    assert.ok(last, `${dir}: training.json has its evaluations`);
    assert.equal(last.step, record.steps, `${dir}: the last evaluation is at the final step`);
    assert.deepEqual(last.accuracy, record.accuracy, `${dir}: the final accuracy is the last evaluation's`);
    const graded: Record<string, { correct: number; total: number }> = {};
    for (const line of (await Deno.readTextFile(join(dir, PROXY_FILES.completions))).trim().split("\n")) {
      const { set, correct } = JSON.parse(line);
      graded[set] ??= { correct: 0, total: 0 };
      graded[set].total++;
      if (correct) graded[set].correct++;
    }
    for (
      const [set, a] of Object.entries(record.accuracy as Record<string, { correct: number; total: number }>)
    ) {
      assert.deepEqual(graded[set], { correct: a.correct, total: a.total }, `${dir}: completions of ${set}`);
    }
  }
});
