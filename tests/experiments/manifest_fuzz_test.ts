/**
 * Property-based tests of the manifest reader against generated bad manifests: out-of-range and
 * mistyped values, unknown keys, keys written twice, `__proto__`, deep nesting, truncated text, `--set`
 * into a setup the file does not have. Each must be refused with one line per problem, each naming the
 * file, and nothing written.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { loadManifest } from "../../experiments/manifest/load_manifest.ts";
import { ManifestError } from "../../experiments/manifest/manifest_error.ts";
import { cli } from "./cli_process.ts";

/** A small valid manifest (checked by the first test). */
const BASE = {
  experiment: "fuzz",
  world: { documents: 300, facts: { count: 10 } },
  queries: { factualPool: 6, arithmetic: 2, slopes: 2, linear: 2, factualControl: 0, reasoningControl: 0 },
  setupDefaults: {
    model: { hiddenSize: 16, intermediateSize: 24, layers: 1, heads: 2, kvHeads: 1 },
    training: { steps: 2, batchSize: 2, warmupSteps: 1 },
    maxCompletionTokens: 4,
  },
  setups: { "7B": { querySets: ["factual", "arithmetic"] }, "35B": { model: { hiddenSize: 32 } } },
  analyses: { answerSearchTopK: 20, procedureTopK: 10 },
};

/** Integer fields, each with the largest value it accepts in BASE (its bound, or a cross-field one). */
const INTEGER_FIELDS: { path: string[]; max: number; min: number }[] = [
  { path: ["world", "documents"], min: 1, max: 5_000_000 },
  { path: ["world", "facts", "count"], min: 6, max: 1_000_000 },
  { path: ["queries", "factualPool"], min: 0, max: 10 },
  { path: ["setupDefaults", "model", "layers"], min: 1, max: 512 },
  { path: ["setups", "7B", "training", "steps"], min: 1, max: 100_000_000 },
  { path: ["setupDefaults", "training", "batchSize"], min: 1, max: 65_536 },
  { path: ["setupDefaults", "maxCompletionTokens"], min: 1, max: 131_072 },
  { path: ["setupDefaults", "model", "contextLength"], min: 258, max: 131_072 },
  { path: ["analyses", "answerSearchTopK"], min: 1, max: 300 },
  { path: ["analyses", "procedureTopK"], min: 1, max: 300 },
];

/** Objects of BASE where a key can be added. */
const OBJECTS: string[][] = [
  [],
  ["world"],
  ["world", "facts"],
  ["queries"],
  ["setupDefaults"],
  ["setupDefaults", "model"],
  ["setupDefaults", "training"],
  ["setups", "7B"],
  ["setups", "35B", "model"],
  ["analyses"],
];

/** The object at a path, created where missing. */
function at(root: unknown, path: string[]): Record<string, unknown> {
  return path.reduce(
    (o: Record<string, unknown>, k) => (o[k] ??= {}) as Record<string, unknown>,
    root as Record<string, unknown>,
  );
}

function edited(edit: (m: Record<string, unknown>) => void): string {
  const m = structuredClone(BASE) as Record<string, unknown>;
  edit(m);
  return JSON.stringify(m, null, 2);
}

/** A value no integer field accepts whatever its bounds. */
const notAnInteger = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map((n) => n + 0.5),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(null, true, false, [], [1], {}, { a: 1 }),
);

interface BadManifest {
  kind: string;
  text: string;
  set?: string[];
}

const badManifest: fc.Arbitrary<BadManifest> = fc.oneof(
  // An integer field out of its range, below or above.
  fc.record({
    f: fc.constantFrom(...INTEGER_FIELDS),
    below: fc.boolean(),
    by: fc.integer({ min: 1, max: 1e6 }),
  })
    .map(({ f, below, by }) => {
      const value = below ? f.min - by : f.max + by;
      return {
        kind: `${f.path.join(".")} = ${value}`,
        text: edited((m) => (at(m, f.path.slice(0, -1))[f.path.at(-1)!] = value)),
      };
    }),
  // An integer field holding something else.
  fc.record({ f: fc.constantFrom(...INTEGER_FIELDS), value: notAnInteger }).map(({ f, value }) => ({
    kind: `${f.path.join(".")} = ${JSON.stringify(value)}`,
    text: edited((m) => (at(m, f.path.slice(0, -1))[f.path.at(-1)!] = value)),
  })),
  // An unknown key.
  fc.record({ path: fc.constantFrom(...OBJECTS), key: fc.stringMatching(/^[a-z][a-zA-Z]{0,10}$/) }).map((
    { path, key },
  ) => ({
    kind: `unknown key ${[...path, `x_${key}`].join(".")}`,
    text: edited((m) => (at(m, path)[`x_${key}`] = 1)),
  })),
  // A key written twice, or the key __proto__, in any object.
  fc.record({ path: fc.constantFrom(...OBJECTS), proto: fc.boolean(), pick: fc.nat() }).map(
    ({ path, proto, pick }) => {
      const keys = Object.keys(at(BASE, path));
      const key = proto ? "__proto__" : keys[pick % keys.length];
      const text = edited((m) => {
        const o = at(m, path);
        o["@@dup@@"] = proto ? {} : o[key];
      }).replace('"@@dup@@"', JSON.stringify(key));
      return { kind: `key "${key}" again in ${path.join(".")}`, text };
    },
  ),
  // Arrays or objects nested too deep, anywhere a value goes.
  fc.record({ depth: fc.integer({ min: 65, max: 20_000 }), arrays: fc.boolean() }).map((
    { depth, arrays },
  ) => ({
    kind: `${depth}-deep ${arrays ? "arrays" : "objects"}`,
    text: edited((m) => (at(m, ["setups", "7B"]).querySets = "@@deep@@")).replace(
      '"@@deep@@"',
      arrays ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth),
    ),
  })),
  // The text cut short anywhere.
  fc.nat().map((n) => {
    const text = JSON.stringify(BASE, null, 2);
    return { kind: `cut at ${n % text.length}`, text: text.slice(0, n % text.length) };
  }),
  // A --set into a setup the file does not have.
  fc.stringMatching(/^[A-Za-z0-9]{1,6}$/).filter((n) => n !== "7B" && n !== "35B").map((name) => ({
    kind: `--set setups.${name}`,
    text: JSON.stringify(BASE),
    set: [`setups.${name}.training.steps=3`],
  })),
);

/** Writes the manifest into a fresh folder, loads it, and checks that nothing else was written. */
async function refusal(bad: BadManifest): Promise<{ error: unknown; file: string }> {
  const root = await Deno.makeTempDir({ prefix: "manifest-fuzz-" });
  const file = join(root, "bad.jsonc");
  await Deno.writeTextFile(file, bad.text);
  let error: unknown = null;
  try {
    await loadManifest(file, bad.set);
  } catch (e) {
    error = e;
  }
  const written = [...Deno.readDirSync(root)].map((e) => e.name);
  await Deno.remove(root, { recursive: true });
  assert.deepEqual(written, ["bad.jsonc"], "nothing written");
  return { error, file };
}

Deno.test("the fuzzed base manifest is valid (so every refusal below is the mutation's)", async () => {
  const { error } = await refusal({ kind: "none", text: JSON.stringify(BASE) });
  assert.equal(error, null);
});

Deno.test("200 generated bad manifests: each refused, one line per problem naming the file", async () => {
  await fc.assert(
    fc.asyncProperty(badManifest.map((b) => ({ ...b, [fc.toStringMethod]: () => b.kind })), async (bad) => {
      const { error, file } = await refusal(bad);
      assert.ok(error instanceof ManifestError, `${bad.kind}: expected a ManifestError, got ${error}`);
      assert.ok(error.problems.length >= 1 && error.problems.length <= 4, `${bad.kind}: ${error.message}`);
      for (const line of error.problems) {
        assert.doesNotMatch(line, /\n/);
        assert.ok(
          line.startsWith(`Cannot read manifest "${file}": `) ||
            line.startsWith(`Cannot apply --set "${bad.set?.[0]}" to "${file}": `),
          `${bad.kind}: ${line}`,
        );
        assert.ok(line.length < 400, `${bad.kind}: a short line: ${line}`);
      }
    }),
    { numRuns: 200, seed: 20261207 },
  );
});

Deno.test("experiment: bad manifests end with one line, exit 1, and nothing in the cache", async () => {
  const root = await Deno.makeTempDir();
  const manifest = join(root, "m.jsonc");
  const run = (...args: string[]) =>
    cli("experiment", [manifest, ...args, "--cache", join(root, "cache"), "--out", join(root, "r")]);
  const cases: [string, string[], string][] = [
    [
      "[".repeat(10_000_000),
      [],
      `nesting deeper than 64 objects and arrays at line 1, column 65; a manifest needs at most a few levels`,
    ],
    [
      JSON.stringify({ ...BASE, world: { documents: 1 } }),
      ["--set", "analyses.answerSearchTopK=1", "--set", "analyses.procedureTopK=1"],
      `world cannot be generated: Cannot plan 527 fact documents: the eligible slots hold only 1; ` +
      `lower facts.count or facts.mentionCounts, or raise documents`,
    ],
    [
      JSON.stringify(BASE),
      ["--set", "analyses.answerSearchTopK=301"],
      `analyses.answerSearchTopK must be at most 300 (world.documents, the documents scored), got 301`,
    ],
  ];
  for (const [text, args, problem] of cases) {
    await Deno.writeTextFile(manifest, text);
    const r = await run(...args);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: Cannot read manifest "${manifest}": ${problem}\n`);
  }
  await Deno.writeTextFile(manifest, JSON.stringify(BASE));
  const typo = await run("--dry-run", "--set", "setups.7b.training.steps=3");
  assert.equal(typo.code, 1);
  assert.equal(
    typo.stderr,
    `error: Cannot apply --set "setups.7b.training.steps=3" to "${manifest}": it has no setup "7b"; ` +
      `did you mean "7B"? (--set changes the file's setups, 7B, 35B; it does not add one)\n`,
  );
  assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["m.jsonc"], "nothing written");
  await Deno.remove(root, { recursive: true });
});
