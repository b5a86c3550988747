import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./cli_process.ts";
import { byoInputs as inputs, fixtureCorpus, writeByoFixture } from "./byo_fixture.ts";

const MANIFEST = "experiments/bring-your-own.jsonc";

/** A query file with set names of one's own, of every kind (and one study set). */
export function ownSetQueries(): Record<string, unknown>[] {
  return [
    {
      id: "c1",
      set: "capitals",
      kind: "factual",
      prompt: "How long is the river Ostrava2?",
      answer: "102 km",
    },
    {
      id: "c2",
      set: "capitals",
      kind: "factual",
      prompt: "Where does the river Ostrava7 flow?",
      answer: "Kelm",
    },
    {
      id: "c3",
      set: "capitals",
      kind: "factual",
      prompt: "How long is the river Ostrava12?",
      answer: "112 km",
    },
    { id: "g1", set: "gsm8k", kind: "reasoning", prompt: "Calculate (5 + 8) * 2.", answer: "26" },
    {
      id: "g2",
      set: "gsm8k",
      kind: "reasoning",
      prompt: "Calculate (7 + 10) * 2.",
      completion: " First add 7 and 10 to get 17, then multiply by 2 to get 34.",
      answer: "34",
    },
    { id: "g3", set: "gsm8k", kind: "reasoning", prompt: "Calculate (2 + 3) * 2.", answer: "10" },
    {
      id: "r1",
      set: "reverse_words",
      kind: "reasoning",
      prompt: "Reverse: quiet morning",
      answer: "morning quiet",
    },
    {
      id: "r2",
      set: "reverse_words",
      kind: "reasoning",
      prompt: "Reverse: river valley",
      answer: "valley river",
    },
    { id: "e1", set: "echo", kind: "control", prompt: "Repeat: Kelm", answer: "Kelm" },
    {
      id: "s1",
      set: "slopes",
      prompt: "What is the slope of the line through (1, 2) and (3, 8)?",
      answer: "3",
    },
  ];
}

/** Small enough for the software adapter; the gates opened so that the random models' verdicts show. */
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
  "analyses.minAccuracy=0",
  "--set",
  "analyses.minDistinctShare=0",
  "--set",
  "report.queryPages=4",
];

Deno.test({
  name: "bring-your-own: a query file's own set names, grouped by kind; unavailable findings say why",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    await writeByoFixture(dir);
    await Deno.writeTextFile(
      join(dir, "queries.jsonl"),
      ownSetQueries().map((q) => JSON.stringify(q)).join("\n") + "\n",
    );
    // No `source` field: every document is "web", one source, so F5 cannot compare sources.
    await Deno.writeTextFile(
      join(dir, "corpus.jsonl"),
      fixtureCorpus().map(({ id, text }) => JSON.stringify({ id, text })).join("\n") + "\n",
    );
    const r = await cli("experiment", [MANIFEST, ...inputs(dir), ...SMALL]);
    assert.equal(r.code, 0, r.stderr);
    const latest = JSON.parse(await Deno.readTextFile(join(dir, "reports", "bring-your-own", "latest.json")));
    const folder = join(dir, "reports", "bring-your-own", latest.runId);
    const report = JSON.parse(await Deno.readTextFile(join(folder, "report.json")));
    if (Deno.env.get("BYO_DUMP")) await Deno.writeTextFile(Deno.env.get("BYO_DUMP")!, JSON.stringify(report));
    assert.equal(report.schemaVersion, "1.7.0");

    // Groups: every set of the file asked (querySets left out), grouped by its queries' kind.
    assert.deepEqual(report.world.queryGroups, {
      capitals: "factual",
      gsm8k: "reasoning",
      reverse_words: "reasoning",
      echo: "control",
      slopes: "reasoning",
    });
    assert.deepEqual(report.setups.small.querySets, ["capitals", "gsm8k", "reverse_words", "echo", "slopes"]);
    assert.deepEqual(Object.keys(report.setups.small.accuracy).sort(), [
      "capitals",
      "echo",
      "gsm8k",
      "reverse_words",
      "slopes",
    ]);
    // A reasoning set of one's own is gated on accuracy like the study's; a factual or control set is not.
    assert.equal(report.setups.small.gates.gsm8k.accuracyGated, true);
    assert.equal(report.setups.small.gates.capitals.accuracyGated, false);
    assert.equal(report.setups.small.gates.echo.accuracyGated, false);

    const finding = (id: string) => report.findings.find((f: { id: string }) => f.id === id);
    // F1 runs on the own sets: 3 factual queries (capitals) against 5 reasoning ones (gsm8k, reverse_words;
    // slopes' one query has no other in its set), and decides a verdict of its test.
    for (const setup of ["small", "large"]) {
      const f1 = finding("F1").measured[setup];
      assert.equal(f1.available, undefined, "F1 is available");
      assert.equal(f1.aN, 5, `${setup}: reasoning queries`);
      assert.equal(f1.bN, 3, `${setup}: factual queries`);
      assert.ok(["reproduced", "not-reproduced", "inconclusive"].includes(finding("F1").verdicts[setup]));
    }
    assert.notEqual(finding("F2").verdict, "not-available");
    assert.notEqual(finding("F1x").verdict, "not-available");
    // F3 runs by text search.
    assert.match(finding("F3").a, /text search/);
    assert.notEqual(finding("F3").verdict, "not-available");

    // F4 runs on slopes (the manifest's keywords for its procedure, slope) and says which sets it left out.
    const f4 = "left out: no procedure keywords for sets gsm8k and reverse_words in corpus.procedureKeywords";
    for (const setup of ["small", "large"]) {
      assert.equal(finding("F4").measured[setup].note, f4);
      assert.equal(finding("F4").measured[setup].aN, 1, "the slopes query");
    }
    assert.notEqual(finding("F4").verdict, "not-available");
    // Not available, with the reasons.
    const f5 =
      "corpus.path has one source (web): the `source` field must name at least two for a comparison " +
      "of sources";
    for (const id of ["F5r", "F5f"]) {
      assert.equal(finding(id).verdict, "not-available");
      assert.equal(finding(id).verdictText, `not-available: ${f5}`);
      assert.deepEqual(finding(id).verdicts, { small: "not-available", large: "not-available" });
      assert.equal(finding(id).measured.small.available, false);
      assert.equal(finding(id).measured.small.reason, f5);
    }
    assert.match(report.validation.notAvailable.plantedFacts, /no planted facts/);
    assert.equal(report.validation.plantedFacts, undefined);

    // The report says so in words.
    const md = await Deno.readTextFile(join(folder, "report.md"));
    assert.ok(
      md.includes(
        "Run on part of the queries — F4: left out: no procedure keywords for sets gsm8k and reverse",
      ),
      "F4's section says what it left out",
    );
    assert.ok(md.includes("Not available on this corpus — F5r: corpus.path has one source (web)"));
    assert.ok(md.includes("Planted-fact check: not available"));
    assert.ok(md.includes("## Your corpus"));
    assert.ok(md.includes("capitals: factual; gsm8k: reasoning"));
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("bring-your-own: a query file's own sets stop with one line naming file, line and field", async () => {
  const dir = await Deno.makeTempDir();
  await writeByoFixture(dir);
  const queries = join(dir, "queries.jsonl");
  const good = ownSetQueries().map((q) => JSON.stringify(q)).join("\n") + "\n";
  const run = async (text: string, extra: string[] = []) => {
    await Deno.writeTextFile(queries, text);
    const r = await cli("experiment", [MANIFEST, ...inputs(dir), ...extra, "--dry-run"]);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    return r.stderr.trim();
  };
  const at = `error: Cannot read "${queries}" (queries.path) line 11`;
  assert.equal(
    await run(good + '{"id": "x", "set": "poetry", "prompt": "p"}\n'),
    `${at}: kind is required for set "poetry" (not one of the study's sets factual, arithmetic, slopes, ` +
      "linear, factual_control, reasoning_control): factual, reasoning or control, got nothing",
  );
  assert.equal(
    await run(good + '{"id": "x", "set": "gsm8k", "kind": "control", "prompt": "p"}\n'),
    `${at}: kind control differs from kind reasoning of set gsm8k on line 4; a set has one kind`,
  );
  assert.equal(
    await run(good + '{"id": "x", "set": "poems", "kind": "reasoning", "prompt": "p"}\n'),
    `${at}: answer must be a non-empty string for a query of set poems (kind reasoning: it grades the model ` +
      "and is searched for in the top documents), got nothing",
  );
  assert.equal(
    await run(good + '{"id": "x", "set": "my set", "kind": "factual", "prompt": "p"}\n'),
    `${at}: set must be a name of letters, digits, '.', '_' and '-' (at most 64, starting with a letter or ` +
      'digit), got "my set"',
  );
  assert.equal(
    await run(good, ["--set", 'setups.large.querySets=["gsm8k","gsm9k"]']),
    `error: Cannot use setups.large.querySets[1]: expected a set of "${queries}" (queries.path): capitals, ` +
      'gsm8k, reverse_words, echo, slopes; got "gsm9k"',
  );
  assert.equal(
    await run(good, ["--set", 'corpus.procedureKeywords.capitals=["river"]']),
    "error: Cannot use corpus.procedureKeywords.capitals: expected a procedure (arithmetic, slope, linear, " +
      "rect_area, percent, list_sum, unit_convert) or a reasoning set of " +
      `"${queries}" (queries.path) (gsm8k, reverse_words, slopes), got "capitals"`,
  );
  // Named sets and keywords of the file's own sets are accepted.
  await Deno.writeTextFile(queries, good);
  const ok = await cli("experiment", [
    MANIFEST,
    ...inputs(dir),
    "--set",
    'setups.small.querySets=["capitals","gsm8k"]',
    "--set",
    'corpus.procedureKeywords.gsm8k=["calculate"]',
    "--dry-run",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  await Deno.remove(dir, { recursive: true });
});
