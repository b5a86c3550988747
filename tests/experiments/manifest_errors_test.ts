import assert from "node:assert/strict";
import { parseManifest } from "../../experiments/manifest/load_manifest.ts";
import { loadManifest } from "../../experiments/manifest/load_manifest.ts";
import { ManifestError } from "../../experiments/manifest/manifest_error.ts";

const P = 'Cannot read manifest "bad.jsonc": ';

/** Each bad manifest with the exact message it must produce. */
const CASES: { name: string; text: string; set?: string[]; message: string }[] = [
  {
    name: "a misspelt top-level key, with a suggestion",
    text: `{"experimnt": "x", "setups": {"a": {}}}`,
    message: `${P}experiment is required (a string)\n` +
      `${P}the top level has unknown key "experimnt"; did you mean "experiment"?`,
  },
  {
    name: "a negative layer count in a setup",
    text: `{"experiment": "x", "setups": {"7B": {"model": {"layers": -1}}}}`,
    message: `${P}setups.7B.model.layers must be a positive integer, got -1`,
  },
  {
    name: "a string where an integer belongs",
    text: `{"experiment": "x", "setups": {"7B": {"training": {"steps": "100"}}}}`,
    message: `${P}setups.7B.training.steps must be an integer, got "100"`,
  },
  {
    name: "a fractional step count",
    text: `{"experiment": "x", "setups": {"7B": {"training": {"steps": 2.5}}}}`,
    message: `${P}setups.7B.training.steps must be an integer, got 2.5`,
  },
  {
    name: "an unknown strategy",
    text: `{"experiment": "x", "setups": {"7B": {"influence": {"strategy": "ekfec"}}}}`,
    message:
      `${P}setups.7B.influence.strategy must be one of "ekfac", "kfac", "diagonal", "identity", got "ekfec"`,
  },
  {
    name: "a misspelt key inside a setup",
    text: `{"experiment": "x", "setups": {"7B": {"modle": {}}}}`,
    message: `${P}setups.7B has unknown key "modle"; did you mean "model"?`,
  },
  {
    name: "a setup name with a space",
    text: `{"experiment": "x", "setups": {"7 B": {}}}`,
    message: `${P}setups key "7 B" must match /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/`,
  },
  {
    name: "no setups",
    text: `{"experiment": "x", "setups": {}}`,
    message: `${P}setups must name at least one setup`,
  },
  {
    name: "a width the heads do not divide",
    text: `{"experiment": "x", "setups": {"a": {"model": {"hiddenSize": 30, "heads": 4}}}}`,
    message: `${P}setups.a.model.hiddenSize must be divisible by heads (4), got 30`,
  },
  {
    name: "an unknown damping mode",
    text: `{"experiment": "x", "setups": {"a": {"influence": {"damping": {"mode": "relative"}}}}}`,
    message: `${P}setups.a.influence.damping.mode must be one of "heuristic", "absolute", got "relative"`,
  },
  {
    name: "absolute damping without a value",
    text: `{"experiment": "x", "setups": {"a": {"influence": {"damping": {"mode": "absolute"}}}}}`,
    message: `${P}setups.a.influence.damping.value is required (a number)`,
  },
  {
    name: "an experiment name with capitals and a space",
    text: `{"experiment": "Big Exp", "setups": {"a": {}}}`,
    message: `${P}experiment must match /^[a-z0-9][a-z0-9_-]{0,63}$/, got "Big Exp"`,
  },
  {
    name: "an unknown query set",
    text: `{"experiment": "x", "setups": {"a": {"querySets": ["slope"]}}}`,
    message: `${P}setups.a.querySets[0] must be one of "factual", "arithmetic", "slopes", "linear", ` +
      `"factual_control", "reasoning_control", got "slope"`,
  },
  {
    name: "a bad value in setupDefaults, blamed on setupDefaults",
    text: `{"experiment": "x", "setupDefaults": {"model": {"layers": 0}}, "setups": {"a": {}}}`,
    message: `${P}setupDefaults.model.layers must be a positive integer, got 0`,
  },
  {
    name: "a misspelt world key",
    text: `{"experiment": "x", "world": {"documnets": 5}, "setups": {"a": {}}}`,
    message: `${P}world has unknown key "documnets"; did you mean "documents"?`,
  },
  {
    name: "an empty list of k",
    text: `{"experiment": "x", "setups": {"a": {}}, "analyses": {"topK": []}}`,
    message: `${P}analyses.topK must be a non-empty list, got []`,
  },
  {
    name: "a confidence level above one",
    text: `{"experiment": "x", "setups": {"a": {}}, "analyses": {"bootstrap": {"confidence": 1.5}}}`,
    message: `${P}analyses.bootstrap.confidence must be a number < 1, got 1.5`,
  },
  {
    name: "a missing comma, with line and column",
    text: `{"experiment": "x",\n "setups": {"a": {}} "seed": 1}`,
    message: `${P}invalid JSONC at line 2, column 22: comma expected`,
  },
  {
    name: "a top level that is not an object",
    text: `[]`,
    message: `${P}the top level must be an object`,
  },
];

for (const c of CASES) {
  Deno.test(`parseManifest() rejects ${c.name}`, () => {
    assert.throws(
      () => parseManifest(c.text, { file: "bad.jsonc", set: c.set }),
      (e: unknown) => {
        assert.ok(e instanceof ManifestError);
        assert.equal(e.message, c.message);
        return true;
      },
    );
  });
}

Deno.test("loadManifest() names a missing file", async () => {
  await assert.rejects(
    () => loadManifest("experiments/no-such-manifest.jsonc"),
    new ManifestError(['Cannot read manifest "experiments/no-such-manifest.jsonc": no such file']),
  );
});
