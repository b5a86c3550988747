import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./cli_process.ts";

// One setup, 300 documents in 5 chunks of 60 and 40 fit documents in 5 parts of 8: shards of 1, 2 and
// 2 chunks or parts.
const MANIFEST = `{
  "experiment": "shardtest",
  "world": { "documents": 300, "facts": { "count": 10 } },
  "queries": { "factualPool": 4, "arithmetic": 2, "slopes": 0, "linear": 0, "factualControl": 0, "reasoningControl": 0 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 2, "batchSize": 2, "warmupSteps": 1 },
    "maxCompletionTokens": 4,
    "querySets": ["factual", "arithmetic"],
    "influence": { "scoreChunkDocuments": 60, "fitDocuments": 40, "fitPartDocuments": 8 }
  },
  "setups": { "7B": {} }
}`;

function experiment(dir: string, cache: string, ...extra: string[]) {
  return cli("experiment", [join(dir, "m.jsonc"), "--cache", cache, "--out", join(dir, "reports"), ...extra]);
}

/** The unsharded-key artifact of an instance: its key and output files (meta.json left out). */
async function mergedArtifact(
  cache: string,
  instance: string,
): Promise<{ key: string; files: Map<string, Uint8Array> }> {
  const root = join(cache, "shardtest", instance);
  const last = JSON.parse(await Deno.readTextFile(join(root, "last.json")));
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(root, last.key))) {
    if (e.isFile && e.name !== "meta.json") {
      files.set(e.name, await Deno.readFile(join(root, last.key, e.name)));
    }
  }
  return { key: last.key, files };
}

const SHARDED = ["covariances@7B", "factors@7B", "scores@7B"];

/** Copies a folder's contents into another (created), as an artifact download does. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  const r = await new Deno.Command("cp", { args: ["-a", `${from}/.`, to] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

Deno.test({
  name: "experiment: 3 shards + merge, round by round, give the unsharded run's fit and scores, bit for bit",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "m.jsonc"), MANIFEST);
    const whole = join(dir, "whole");
    const plain = await experiment(dir, whole);
    assert.equal(plain.code, 0, plain.stderr);
    const expected = new Map(
      await Promise.all(SHARDED.map(async (i) => [i, await mergedArtifact(whole, i)] as const)),
    );

    // Round r, as the workflow runs it: every shard job starts from a copy of the round's starting cache,
    // computes its slice of SHARDED[r] and keeps only the artifact folders it added (ci_cache.ts slice);
    // the merge job restores the starting cache and the slices beside it, joins them, and drops the slices
    // (ci_cache.ts prune-shards) before the next round starts from its cache.
    let start = join(dir, "start-0");
    await Deno.mkdir(start);
    for (const [round, instance] of SHARDED.entries()) {
      const slices = join(dir, `slices-${round}`);
      await t.step(
        `round ${round + 1}: each shard computes its slice of ${instance}; later stages wait`,
        async () => {
          for (const i of [1, 2, 3]) {
            const cache = join(dir, `shard-${round}-${i}`);
            await copyTree(start, cache);
            const before = join(dir, `before-${round}-${i}.txt`);
            await Deno.writeTextFile(before, (await cli("ci_cache", ["list", cache])).stdout);
            const r = await experiment(dir, cache, "--shard", `${i}/3`);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`^${instance}\\s+ran .*shard ${i}/3`, "m"));
            assert.match(r.stdout, /^report\s+waiting\s+needs every shard/m);
            const sliced = await cli("ci_cache", ["slice", cache, before, slices]);
            assert.equal(sliced.code, 0, sliced.stderr);
          }
        },
      );
      const merged = join(dir, `merged-${round}`);
      if (round === 0) {
        await t.step("a merge with a shard missing is refused, naming it", async () => {
          await copyTree(start, merged);
          await copyTree(slices, merged);
          const r = await experiment(dir, merged, "--merge-shards", "4");
          assert.equal(r.code, 1);
          assert.match(
            r.stderr,
            /^error: Cannot merge covariances@7B: shards 1\/4, 2\/4, 3\/4, 4\/4 not found under/,
          );
        });
      }
      await t.step(`round ${round + 1}: the merge builds ${instance} from the slices`, async () => {
        await copyTree(start, merged);
        await copyTree(slices, merged);
        const r = await experiment(dir, merged, "--merge-shards", "3");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^${instance}\\s+ran .*merge 3 shards`, "m"));
        const next = SHARDED[round + 1];
        if (next) assert.match(r.stdout, new RegExp(`^${next}\\s+waiting\\s+next round`, "m"));
        else assert.match(r.stdout, /^report\s+ran/m);
        const pruned = await cli("ci_cache", ["prune-shards", merged]);
        assert.equal(pruned.code, 0, pruned.stderr);
        assert.match(pruned.stderr, /^removed 3 merged shard artifacts$/m);
      });
      start = merged;
    }
    const parts = start;

    await t.step("the merged fit and scores equal the unsharded run's", async () => {
      for (const instance of SHARDED) {
        const merged = await mergedArtifact(parts, instance), want = expected.get(instance)!;
        assert.equal(merged.key, want.key, `${instance}: the merged artifact has the unsharded key`);
        assert.deepEqual([...merged.files.keys()].sort(), [...want.files.keys()].sort());
        for (const [name, bytes] of want.files) {
          assert.deepEqual(merged.files.get(name), bytes, `${instance} ${name}`);
        }
      }
    });

    await t.step("--shards 2 runs the rounds as local processes and merges", async () => {
      const local = join(dir, "local");
      const r = await experiment(dir, local, "--shards", "2");
      assert.equal(r.code, 0, r.stderr);
      for (const instance of SHARDED) {
        const merged = await mergedArtifact(local, instance);
        for (const [name, bytes] of expected.get(instance)!.files) {
          assert.deepEqual(merged.files.get(name), bytes, `${instance} ${name}`);
        }
      }
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
