import assert from "node:assert/strict";
import { join } from "node:path";
import { parseManifest, type ResolvedManifest } from "../../experiments/manifest/load_manifest.ts";
import { runPlan } from "../../experiments/run/run_plan.ts";
import type { StageDef } from "../../experiments/run/stage.ts";

const quiet = { log: () => {}, progressSink: { write: () => {}, isTerminal: false } };

function manifest(set: string[] = []): ResolvedManifest {
  return parseManifest(`{"experiment": "t", "setups": {"s1": {}, "s2": {}}}`, { file: "t.jsonc", set });
}

/**
 * A toy graph: a (global) → b (per setup) → c (per setup); a → d (global). Each stage writes one
 * file derived from its settings and inputs and counts its runs.
 */
function graph(settings: Record<string, () => unknown>, runs: string[]): StageDef[] {
  const mk = (name: string, perSetup: boolean, deps: string[]): StageDef => ({
    name,
    version: 1,
    perSetup,
    deps,
    settings: () => settings[name]?.() ?? null,
    async run(ctx) {
      runs.push(ctx.setup ? `${name}@${ctx.setup.name}` : name);
      const ins = Object.values(ctx.inputs).map((a) => a.meta.outputDigest).join(",");
      await Deno.writeTextFile(join(ctx.outDir, "out.txt"), `${JSON.stringify(settings[name]?.())}|${ins}`);
    },
  });
  return [mk("a", false, []), mk("b", true, ["a"]), mk("c", true, ["b"]), mk("d", false, ["a"])];
}

Deno.test("runPlan() skips every stage on a second run", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const runs: string[] = [];
  const stages = graph({}, runs);
  const first = await runPlan(manifest(), stages, { cacheRoot, ...quiet });
  assert.deepEqual(first.entries.map((e) => e.status), Array(6).fill("ran"));
  runs.length = 0;
  const second = await runPlan(manifest(), stages, { cacheRoot, ...quiet });
  assert.deepEqual(second.entries.map((e) => e.status), Array(6).fill("cached"));
  assert.deepEqual(runs, []);
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() re-runs exactly the stages that depend on a changed setting", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const runs: string[] = [];
  let bSetting = 1;
  const stages = graph({ b: () => ({ x: bSetting }) }, runs);
  await runPlan(manifest(), stages, { cacheRoot, ...quiet });
  bSetting = 2;
  runs.length = 0;
  const dry = await runPlan(manifest(), stages, { cacheRoot, dryRun: true, ...quiet });
  assert.deepEqual(runs, [], "a dry run runs nothing");
  assert.deepEqual(
    dry.entries.map((e) => [e.instance, e.status, e.reason]),
    [
      ["a", "cached", `key ${dry.entries[0].key!.slice(0, 12)}`],
      ["b@s1", "run", "settings changed: x (1 → 2)"],
      ["b@s2", "run", "settings changed: x (1 → 2)"],
      ["c@s1", "run", "input b@s1 will run first"],
      ["c@s2", "run", "input b@s2 will run first"],
      ["d", "cached", `key ${dry.entries[5].key!.slice(0, 12)}`],
    ],
  );
  await runPlan(manifest(), stages, { cacheRoot, ...quiet });
  assert.deepEqual(runs, ["b@s1", "b@s2", "c@s1", "c@s2"]);
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() with --setup runs per-setup stages for that setup only", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const runs: string[] = [];
  await runPlan(manifest(), graph({}, runs), { cacheRoot, setups: ["s2"], ...quiet });
  assert.deepEqual(runs, ["a", "b@s2", "c@s2", "d"]);
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() --force=STAGE recomputes that stage; unchanged outputs keep dependents cached", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const runs: string[] = [];
  const stages = graph({}, runs);
  await runPlan(manifest(), stages, { cacheRoot, ...quiet });
  runs.length = 0;
  const r = await runPlan(manifest(), stages, { cacheRoot, force: ["b"], ...quiet });
  assert.deepEqual(runs, ["b@s1", "b@s2"]);
  assert.equal(r.entries.find((e) => e.instance === "b@s1")!.reason, "forced");
  assert.equal(r.entries.find((e) => e.instance === "c@s1")!.status, "cached");
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() leaves no artifact or temporary folder when a stage throws", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const failing: StageDef = {
    name: "boom",
    version: 1,
    perSetup: false,
    deps: [],
    settings: () => null,
    async run(ctx) {
      await Deno.writeTextFile(join(ctx.outDir, "half.txt"), "partial");
      throw new Error("disk on fire");
    },
  };
  await assert.rejects(() => runPlan(manifest(), [failing], { cacheRoot, ...quiet }), /disk on fire/);
  assert.deepEqual([...Deno.readDirSync(cacheRoot)], [], "an empty work folder and its instance folder go");
  const again = await runPlan(manifest(), [failing], { cacheRoot, dryRun: true, ...quiet });
  assert.equal(again.entries[0].status, "run");
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() records settings, inputs and output hashes in meta.json", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const r = await runPlan(manifest(), graph({ a: () => ({ k: 1 }) }, []), { cacheRoot, ...quiet });
  const b = r.artifacts.get("b@s1")!;
  const meta = JSON.parse(await Deno.readTextFile(join(b.dir, "meta.json")));
  assert.equal(meta.stage, "b");
  assert.equal(meta.setup, "s1");
  assert.deepEqual(Object.keys(meta.inputs), ["a"]);
  assert.equal(meta.inputs.a, r.artifacts.get("a")!.meta.outputDigest);
  assert.match(meta.outputs["out.txt"], /^[0-9a-f]{64}$/);
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() leaves no empty work or instance folder behind when a stage fails", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const failing: StageDef = {
    name: "boom",
    version: 1,
    perSetup: true,
    deps: [],
    settings: () => null,
    run: () => Promise.reject(new Error("bad input")),
  };
  await assert.rejects(() => runPlan(manifest(), [failing], { cacheRoot, ...quiet }), /bad input/);
  assert.deepEqual([...Deno.readDirSync(cacheRoot)], [], "no boom@s1 folder, no .work, no .tmp");
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() computes every stage's settings before running any stage", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const runs: string[] = [];
  const stages = graph({
    c: () => {
      throw new Error("bad checkpoint");
    },
  }, runs);
  await assert.rejects(() => runPlan(manifest(), stages, { cacheRoot, ...quiet }), /bad checkpoint/);
  assert.deepEqual(runs, [], "stage a did not run");
  assert.deepEqual([...Deno.readDirSync(cacheRoot)], [], "no artifact");
  await Deno.remove(cacheRoot, { recursive: true });
});

Deno.test("runPlan() started twice at once on one cache computes each stage once; the other waits and reuses it", async () => {
  const cacheRoot = await Deno.makeTempDir();
  const runs: string[] = [];
  const slow = graph({}, runs).map((s): StageDef => ({
    ...s,
    async run(ctx) {
      await new Promise((r) => setTimeout(r, 50));
      await s.run(ctx);
    },
  }));
  const [first, second] = await Promise.all([
    runPlan(manifest(), slow, { cacheRoot, ...quiet }),
    runPlan(manifest(), slow, { cacheRoot, ...quiet }),
  ]);
  assert.deepEqual([...runs].sort(), ["a", "b@s1", "b@s2", "c@s1", "c@s2", "d"], "each stage ran once");
  const statuses = [...first.entries, ...second.entries].map((e) => e.status);
  assert.equal(statuses.filter((s) => s === "ran").length, 6);
  assert.ok(
    [...first.entries, ...second.entries].some((e) =>
      e.reason.startsWith("computed meanwhile by another process")
    ),
  );
  // Both runs see the same artifacts, and no lock or temporary is left in the cache.
  for (const e of first.entries) {
    assert.equal(
      first.artifacts.get(e.instance)!.meta.outputDigest,
      second.artifacts.get(e.instance)!.meta.outputDigest,
    );
  }
  const left: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && !/^[0-9a-f]{64}$/.test(e.name)) await walk(join(dir, e.name));
      else left.push(e.name);
    }
  };
  await walk(cacheRoot);
  assert.ok(left.every((n) => /^[0-9a-f]{64}$/.test(n) || n === "last.json"), `left: ${left.join(", ")}`);
  await Deno.remove(cacheRoot, { recursive: true });
});
