import assert from "node:assert/strict";
import { join } from "node:path";
import { cachedArtifacts, pruneShards, sliceCache } from "../../experiments/cli/ci_cache.ts";
import { commitArtifact } from "../../experiments/run/artifact_store.ts";
import { cli } from "../experiments/cli_process.ts";

/** Commits an artifact with one output file, as a stage run does. */
async function artifact(root: string, instance: string, key: string, settings: unknown, text: string) {
  const tmp = await Deno.makeTempDir();
  await Deno.mkdir(join(tmp, "sub"));
  await Deno.writeTextFile(join(tmp, "sub", "out.txt"), text);
  await Deno.mkdir(join(root, "exp", instance), { recursive: true });
  await commitArtifact(tmp, join(root, "exp", instance, key), {
    stage: instance.split("@")[0],
    setup: instance.split("@")[1] ?? null,
    key,
    version: 1,
    settings,
    inputs: {},
    seconds: 0,
    createdAt: "2026-01-01T00:00:00.000Z",
    summary: {},
  });
}

const key = (c: string) => c.repeat(64);

Deno.test("ci_cache: a shard job's slice is the artifacts it added; a merge drops the merged slices", async () => {
  const root = await Deno.makeTempDir();
  await artifact(root, "world", key("a"), { seed: 1 }, "world");
  await artifact(root, "factors@7B", key("b"), { strategy: "ekfac" }, "full");
  // Not artifacts: an unfinished temporary folder, a resumable work folder, a replaced artifact.
  await Deno.mkdir(join(root, "exp", "world", `${key("a")}.tmp-1`));
  await Deno.mkdir(join(root, "exp", "scores@7B", `${key("c")}.work`), { recursive: true });
  const before = new Set((await cachedArtifacts(root)).map((a) => a.path));
  assert.deepEqual([...before], [`exp/factors@7B/${key("b")}`, `exp/world/${key("a")}`]);

  await artifact(root, "scores@7B", key("d"), { chunk: 8, shard: "1/2" }, "slice 1");
  await artifact(root, "scores@35B", key("e"), { chunk: 8, shard: "1/2" }, "slice 1 of 35B");
  const out = await Deno.makeTempDir();
  const added = await sliceCache(root, before, join(out, "slice"));
  assert.deepEqual(added, [`exp/scores@35B/${key("e")}`, `exp/scores@7B/${key("d")}`]);
  assert.equal(
    await Deno.readTextFile(join(out, "slice", "exp", "scores@7B", key("d"), "sub", "out.txt")),
    "slice 1",
  );
  // The copy is a finished artifact the merge job's cache can use as is.
  assert.deepEqual((await cachedArtifacts(join(out, "slice"))).map((a) => [a.path, a.shard]), [
    [`exp/scores@35B/${key("e")}`, true],
    [`exp/scores@7B/${key("d")}`, true],
  ]);

  assert.deepEqual(await pruneShards(root), added);
  assert.deepEqual((await cachedArtifacts(root)).map((a) => a.path), [...before]);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("ci_cache CLI: list prints the artifacts; bad arguments and a missing cache stop with one line", async () => {
  const root = await Deno.makeTempDir();
  await artifact(root, "world", key("a"), {}, "w");
  const run = (...args: string[]) => cli("ci_cache", args);
  const listed = await run("list", root);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout, `exp/world/${key("a")}\n`);
  const bad = await run("slice", root);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr.trim(),
    `error: Cannot run ci_cache: expected list CACHE, slice CACHE LIST OUT or prune-shards CACHE, got "slice ${root}"`,
  );
  const missing = await run("list", join(root, "nothing"));
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr.trim(),
    `error: Cannot read the stage cache "${join(root, "nothing")}": expected a folder`,
  );
  await Deno.remove(root, { recursive: true });
});
