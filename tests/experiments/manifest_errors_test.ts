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
  {
    name: "100k-deep arrays, without overflowing the parser's stack",
    text: "[".repeat(100_000) + "]".repeat(100_000),
    message: `${P}nesting deeper than 64 objects and arrays at line 1, column 65; ` +
      `a manifest needs at most a few levels`,
  },
  {
    name: "20k-deep objects",
    text: '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000),
    message: `${P}nesting deeper than 64 objects and arrays at line 1, column 321; ` +
      `a manifest needs at most a few levels`,
  },
  {
    name: "a key written twice (JSON would keep the last)",
    text: `{"experiment": "x",\n "setups": {"a": {"model": {"layers": 2, "layers": 3}}}}`,
    message: `${P}setups.a.model has key "layers" twice (the second at line 2, column 42); remove one`,
  },
  {
    name: "a top-level key written twice",
    text: `{"experiment": "x", "setups": {"a": {}}, "experiment": "y"}`,
    message: `${P}the top level has key "experiment" twice (the second at line 1, column 42); remove one`,
  },
  {
    name: "__proto__ inside a setup (JavaScript would drop it)",
    text: `{"experiment": "x", "setups": {"a": {"__proto__": {"model": {"layers": 9}}}}}`,
    message: `${P}setups.a has key "__proto__" (line 1, column 38), which is not allowed`,
  },
  {
    name: "a billion documents",
    text: `{"experiment": "x", "world": {"documents": 1e9}, "setups": {"a": {}}}`,
    message: `${P}world.documents must be at most 5000000, got 1000000000`,
  },
  {
    name: "a hidden size of 2^40",
    text: `{"experiment": "x", "setups": {"a": {"model": {"hiddenSize": 1099511627776}}}}`,
    message: `${P}setups.a.model.hiddenSize must be at most 16384, got 1099511627776`,
  },
  {
    name: "a batch of 1e8 sequences",
    text: `{"experiment": "x", "setups": {"a": {"training": {"batchSize": 1e8}}}}`,
    message: `${P}setups.a.training.batchSize must be at most 65536, got 100000000`,
  },
  {
    name: "more tokens per step than fit in memory",
    text: `{"experiment": "x", "setups": {"a": {"training": {"batchSize": 20000}}}}`,
    message:
      `${P}setups.a.training.batchSize × model.contextLength must be at most 4194304 tokens per step, ` +
      `got 20000 × 320`,
  },
  {
    name: "a proxy too large to train",
    text: `{"experiment": "x", "setups": {"a": {"model": {"hiddenSize": 16384, "intermediateSize": 65536, ` +
      `"layers": 512, "heads": 128, "kvHeads": 128}}}}`,
    message: `${P}setups.a.model must have at most 4000000000 parameters to be trained here, got ` +
      `2199041687552 (hiddenSize 16384, intermediateSize 65536, layers 512)`,
  },
  {
    name: "an answer search deeper than the corpus (NaN in the findings)",
    text: `{"experiment": "x", "world": {"documents": 300, "facts": {"count": 10}}, ` +
      `"queries": {"factualPool": 6}, "setups": {"a": {}}, "analyses": {"answerSearchTopK": 500}}`,
    message:
      `${P}analyses.answerSearchTopK must be at most 300 (world.documents, the documents scored), got 500`,
  },
  {
    name: "more factual queries than facts",
    text: `{"experiment": "x", "world": {"facts": {"count": 5}}, "setups": {"a": {}}}`,
    message: `${P}queries.factualPool must be at most world.facts.count (5): each factual query asks about ` +
      `its own fact, got 60`,
  },
  {
    name: "a world of one document, found by planning it",
    text: `{"experiment": "x", "world": {"documents": 1}, "setups": {"a": {}}, ` +
      `"analyses": {"answerSearchTopK": 1, "procedureTopK": 1}}`,
    message:
      `${P}world cannot be generated: Cannot plan 527 fact documents: the eligible slots hold only 1; ` +
      `lower facts.count or facts.mentionCounts, or raise documents`,
  },
  {
    name: "a device budget whose plan needs wider eigendecomposition blocks than the setup's",
    text: `{"experiment": "x", "setups": {"a": {"deviceMemoryGiB": 80, "model": {"hiddenSize": 2048, ` +
      `"intermediateSize": 8192, "layers": 16, "heads": 32, "kvHeads": 8, "contextLength": 512}}}}`,
    message: `${P}setups.a.influence.blocks must be at least 2: the memory plan eigendecomposes the widest ` +
      `factor (8192) in blocks of at most 4096, got 1`,
  },
  {
    name: "a --set that would add a setup (a typo in its name)",
    text: `{"experiment": "x", "setups": {"7B": {}, "35B": {}}}`,
    set: ["setups.7b.training.steps=3"],
    message: `Cannot apply --set "setups.7b.training.steps=3" to "bad.jsonc": it has no setup "7b"; ` +
      `did you mean "7B"? (--set changes the file's setups, 7B, 35B; it does not add one)`,
  },
  {
    name: "a --set through __proto__",
    text: `{"experiment": "x", "setups": {"a": {}}}`,
    set: ["__proto__.polluted=1"],
    message:
      `Cannot apply --set "__proto__.polluted=1" to "bad.jsonc": the path segment "__proto__" is not allowed`,
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

Deno.test("parseManifest() refuses a device budget the memory plan cannot fit, in one line per setup", () => {
  const text = `{"experiment": "x", "setups": {"a": {"deviceMemoryGiB": 0.01}, "b": {}}}`;
  assert.throws(
    () => parseManifest(text, { file: "bad.jsonc" }),
    (e: unknown) => {
      assert.ok(e instanceof ManifestError);
      assert.match(
        e.message,
        /^Cannot read manifest "bad\.jsonc": setups\.a\.deviceMemoryGiB: 0\.01 GiB cannot hold the influence stages: fit covariances: needs [\d.]+ MiB with one tracked module on the device \(.*\), more than the budget of 10\.2 MiB$/,
      );
      return true;
    },
  );
  // 1 GiB holds the default proxy's stages; a setup without a budget is not planned.
  const fits = parseManifest(`{"experiment": "x", "setups": {"a": {"deviceMemoryGiB": 1}, "b": {}}}`, {
    file: "ok.jsonc",
  });
  assert.deepEqual(fits.setups.map((s) => s.deviceMemoryGiB), [1, undefined]);
  // A 1B-like shape fits 80 GiB with its modules streamed (the engine streams them); what it needs that
  // the engine does not do is named: 280 query rows where one module's rows fit one binding 31 at a time.
  const big = (queries: string) =>
    `{"experiment": "x", ${queries}"setups": {"a": {"deviceMemoryGiB": 80, "influence": {"blocks": 2, ` +
    `"eigensolver": "gpu-jacobi"}, "model": {"hiddenSize": 2048, "intermediateSize": 8192, "layers": 16, ` +
    `"heads": 32, "kvHeads": 8, "contextLength": 512}}}}`;
  assert.throws(
    () => parseManifest(big(""), { file: "big.jsonc" }),
    {
      message:
        'Cannot read manifest "big.jsonc": setups.a.deviceMemoryGiB: 80 GiB (peak planned 79.68 GiB) ' +
        "needs what the engine does not do yet: query gradients: 10 passes of at most 31 query rows (the " +
        "engine holds all 280); scoring: 10 passes of at most 31 query rows (the engine holds all 280)",
    },
  );
  // 16 query rows: runnable.
  const few = `"queries": {"factualPool": 4, "arithmetic": 2, "slopes": 0, "linear": 0, ` +
    `"factualControl": 0, "reasoningControl": 0}, `;
  assert.equal(parseManifest(big(few), { file: "big.jsonc" }).setups[0].deviceMemoryGiB, 80);
});

Deno.test("loadManifest() names a missing file", async () => {
  await assert.rejects(
    () => loadManifest("experiments/no-such-manifest.jsonc"),
    new ManifestError(['Cannot read manifest "experiments/no-such-manifest.jsonc": no such file']),
  );
});

Deno.test("parseJsonc() refuses 10 MB of [ in well under a second, with one line", () => {
  const t0 = performance.now();
  assert.throws(
    () => parseManifest("[".repeat(10_000_000), { file: "bad.jsonc" }),
    new ManifestError([
      `${P}nesting deeper than 64 objects and arrays at line 1, column 65; a manifest needs at most a few levels`,
    ]),
  );
  assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
});

Deno.test("a --set through __proto__ leaves Object.prototype alone", () => {
  assert.throws(() =>
    parseManifest(`{"experiment": "x", "setups": {"a": {}}}`, {
      file: "bad.jsonc",
      set: ["__proto__.polluted=1"],
    })
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("the committed manifests pass the limits and cross-field checks", async () => {
  for (const name of ["procedural-knowledge", "ci-small", "paper-scale"]) {
    const m = await loadManifest(`experiments/${name}.jsonc`);
    assert.equal(m.experiment, name);
  }
});
