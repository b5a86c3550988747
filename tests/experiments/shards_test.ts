import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./cli_process.ts";

// One setup, 300 documents in 5 chunks of 60: shards of 1, 2 and 2 chunks.
const MANIFEST = `{
  "experiment": "shardtest",
  "world": { "documents": 300, "facts": { "count": 10 } },
  "queries": { "factualPool": 4, "arithmetic": 2, "slopes": 0, "linear": 0, "factualControl": 0, "reasoningControl": 0 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 2, "batchSize": 2, "warmupSteps": 1 },
    "maxCompletionTokens": 4,
    "querySets": ["factual", "arithmetic"],
    "influence": { "scoreChunkDocuments": 60, "fitDocuments": 16 }
  },
  "setups": { "7B": {} }
}`;

function experiment(dir: string, cache: string, ...extra: string[]) {
  return cli("experiment", [join(dir, "m.jsonc"), "--cache", cache, "--out", join(dir, "reports"), ...extra]);
}

/** The unsharded-key artifact of scores@7B: its key and output files (meta.json left out). */
async function mergedScores(cache: string): Promise<{ key: string; files: Map<string, Uint8Array> }> {
  const root = join(cache, "shardtest", "scores@7B");
  const last = JSON.parse(await Deno.readTextFile(join(root, "last.json")));
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(root, last.key))) {
    if (e.isFile && e.name !== "meta.json") {
      files.set(e.name, await Deno.readFile(join(root, last.key, e.name)));
    }
  }
  return { key: last.key, files };
}

Deno.test({
  name: "experiment: 3 shards + merge give the unsharded run's scores, bit for bit",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "m.jsonc"), MANIFEST);
    const whole = join(dir, "whole"), parts = join(dir, "parts");
    const plain = await experiment(dir, whole);
    assert.equal(plain.code, 0, plain.stderr);
    const expected = await mergedScores(whole);

    await t.step("each shard scores its slice; stages that need all of them wait", async () => {
      for (const i of [1, 2, 3]) {
        const r = await experiment(dir, parts, "--shard", `${i}/3`);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^scores@7B\\s+ran .*shard ${i}/3`, "m"));
        assert.match(r.stdout, /^report\s+waiting\s+needs every shard/m);
      }
    });

    await t.step("a merge with a shard missing is refused, naming it", async () => {
      const r = await experiment(dir, parts, "--merge-shards", "4");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: Cannot merge scores@7B: shards 1\/4, 2\/4, 3\/4, 4\/4 not found under/);
    });

    await t.step("the merge equals the unsharded run and the report is built", async () => {
      const r = await experiment(dir, parts, "--merge-shards", "3");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^scores@7B\s+ran .*merge 3 shards/m);
      assert.match(r.stdout, /^report\s+ran/m);
      const merged = await mergedScores(parts);
      assert.equal(merged.key, expected.key, "the merged artifact has the unsharded key");
      assert.deepEqual([...merged.files.keys()].sort(), [...expected.files.keys()].sort());
      for (const [name, bytes] of expected.files) assert.deepEqual(merged.files.get(name), bytes, name);
    });

    await t.step("--shards 2 runs the shards as local processes and merges", async () => {
      const local = join(dir, "local");
      const r = await experiment(dir, local, "--shards", "2");
      assert.equal(r.code, 0, r.stderr);
      const merged = await mergedScores(local);
      for (const [name, bytes] of expected.files) assert.deepEqual(merged.files.get(name), bytes, name);
    });
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("experiment: malformed shard flags are user errors", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "m.jsonc"), MANIFEST);
  const bad = await experiment(dir, join(dir, "c"), "--shard", "4/3");
  assert.equal(bad.stderr, 'error: --shard must be I/N with 1 ≤ I ≤ N (e.g. 2/4), got "4/3"\n');
  const both = await experiment(dir, join(dir, "c"), "--shard", "1/2", "--merge-shards", "2");
  assert.equal(both.stderr, "error: --shard, --merge-shards and --shards exclude each other\n");
  await Deno.remove(dir, { recursive: true });
});
