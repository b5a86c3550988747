import assert from "node:assert/strict";
import { loadManifest, parseManifest } from "../../experiments/manifest/load_manifest.ts";
import { ManifestError } from "../../experiments/manifest/manifest_error.ts";
import { manifestJsonSchema } from "../../experiments/schema/manifest_schema.ts";

const BASE = `{
  // comments and trailing commas are fine
  "experiment": "demo",
  "setupDefaults": { "model": { "layers": 2, "hiddenSize": 32 }, "querySets": ["factual"] },
  "setups": {
    "small": {},
    "large": { "model": { "hiddenSize": 64 }, "influence": { "blocks": 2 } },
  },
}`;

Deno.test("parseManifest() merges each setup over setupDefaults", () => {
  const m = parseManifest(BASE, { file: "demo.jsonc" });
  const [small, large] = m.setups;
  assert.deepEqual([small.name, large.name], ["small", "large"]);
  assert.equal(small.model.hiddenSize, 32);
  assert.equal(large.model.hiddenSize, 64);
  assert.equal(large.model.layers, 2, "unspecified fields come from setupDefaults");
  assert.deepEqual(large.querySets, ["factual"]);
  assert.equal(small.influence.blocks, 1);
  assert.equal(large.influence.blocks, 2);
});

Deno.test("parseManifest() derives distinct seeds per setup from the root seed", () => {
  const m = parseManifest(BASE, { file: "demo.jsonc" });
  const [small, large] = m.setups;
  assert.notEqual(small.training.seed, large.training.seed);
  assert.notEqual(small.influence.seed, small.training.seed);
  const again = parseManifest(BASE, { file: "demo.jsonc" });
  assert.equal(again.setups[0].training.seed, small.training.seed);
  const reseeded = parseManifest(BASE, { file: "demo.jsonc", set: ["seed=99"] });
  assert.notEqual(reseeded.setups[0].training.seed, small.training.seed);
  assert.notEqual(reseeded.world.seed, m.world.seed);
});

Deno.test("parseManifest() applies --set overrides and records them", () => {
  const set = [
    "setups.large.training.steps=77",
    "setupDefaults.influence.strategy=kfac",
    "description=hello",
  ];
  const m = parseManifest(BASE, { file: "demo.jsonc", set });
  assert.equal(m.setups[1].training.steps, 77);
  assert.equal(
    m.setups[0].training.steps,
    parseManifest(BASE, { file: "demo.jsonc" }).setups[0].training.steps,
  );
  assert.equal(m.setups[0].influence.strategy, "kfac");
  assert.equal(m.setups[1].influence.strategy, "kfac");
  assert.equal(m.description, "hello", "a value that is not JSON is taken as a string");
  assert.deepEqual(m.overrides, set);
});

Deno.test("parseManifest() validates --set overrides like the file", () => {
  assert.throws(
    () => parseManifest(BASE, { file: "demo.jsonc", set: ["setups.small.model.layers=-3"] }),
    new ManifestError([
      'Cannot read manifest "demo.jsonc": setups.small.model.layers must be a positive integer, got -3',
    ]),
  );
  assert.throws(
    () => parseManifest(BASE, { file: "demo.jsonc", set: ["setups.small.trainnig.steps=3"] }),
    new ManifestError([
      'Cannot read manifest "demo.jsonc": setups.small has unknown key "trainnig"; did you mean "training"?',
    ]),
  );
  assert.throws(
    () => parseManifest(BASE, { file: "demo.jsonc", set: ["experiment.name=x"] }),
    new ManifestError([
      'Cannot apply --set "experiment.name=x" to "demo.jsonc": experiment is not an object, got "demo"',
    ]),
  );
  assert.throws(
    () => parseManifest(BASE, { file: "demo.jsonc", set: ["seed"] }),
    new ManifestError([
      'Cannot apply --set "seed" to "demo.jsonc": expected PATH=VALUE, e.g. setupDefaults.influence.strategy=kfac',
    ]),
  );
});

Deno.test("the default manifest loads", async () => {
  const m = await loadManifest("experiments/procedural-knowledge.jsonc");
  assert.equal(m.experiment, "procedural-knowledge");
  assert.deepEqual(m.setups.map((s) => s.name), ["7B", "35B"]);
  assert.ok(m.setups[1].querySets.includes("linear") && !m.setups[1].querySets.includes("arithmetic"));
  assert.ok(m.setups[0].querySets.includes("arithmetic") && !m.setups[0].querySets.includes("linear"));
});

Deno.test("experiments/manifest.schema.json is the schema the code exports", async () => {
  const onDisk = JSON.parse(await Deno.readTextFile("experiments/manifest.schema.json"));
  assert.deepEqual(onDisk, manifestJsonSchema(), "regenerate with: deno task schema");
});
