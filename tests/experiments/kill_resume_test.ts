import assert from "node:assert/strict";
import { join, relative } from "node:path";

const MANIFEST = `{
  "experiment": "killtest",
  "world": { "documents": 300, "facts": { "count": 10 } },
  "queries": { "factualPool": 4, "arithmetic": 2, "slopes": 2, "linear": 0, "factualControl": 0, "reasoningControl": 0 },
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 1, "heads": 2, "kvHeads": 1 },
    "training": { "steps": 4, "batchSize": 2, "warmupSteps": 1, "checkpointEvery": 1 },
    "maxCompletionTokens": 6,
    "querySets": ["factual", "arithmetic", "slopes"],
    "influence": { "fitDocuments": 24, "scoreChunkDocuments": 60 }
  },
  "setups": { "small": {} }
}`;

function experiment(dir: string, cache: string, out: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-check",
      "-A",
      "experiments/cli/experiment.ts",
      join(dir, "m.jsonc"),
      "--cache",
      cache,
      "--out",
      out,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Every artifact file's bytes by `<instance>/<file>`, skipping meta.json (it holds timings). */
async function artifactFiles(cache: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const root = join(cache, "killtest");
  for await (const inst of Deno.readDir(root)) {
    if (!inst.isDirectory || inst.name === "report") continue;
    for await (const key of Deno.readDir(join(root, inst.name))) {
      if (!key.isDirectory || !/^[0-9a-f]{64}$/.test(key.name)) continue;
      const walk = async (d: string) => {
        for await (const e of Deno.readDir(d)) {
          const p = join(d, e.name);
          if (e.isDirectory) await walk(p);
          else if (e.name !== "meta.json") {
            out.set(`${inst.name}/${relative(join(root, inst.name, key.name), p)}`, await Deno.readFile(p));
          }
        }
      };
      await walk(join(root, inst.name, key.name));
    }
  }
  return out;
}

Deno.test({
  name: "a run killed with SIGKILL at any moment resumes to byte-identical artifacts",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "m.jsonc"), MANIFEST);
    const t0 = performance.now();
    const ref = experiment(dir, join(dir, "c1"), join(dir, "o1"));
    assert.equal((await ref.status).code, 0);
    const duration = performance.now() - t0;

    const expected = await artifactFiles(join(dir, "c1"));
    assert.ok(expected.size >= 4, `expected artifacts, found ${[...expected.keys()]}`);
    let killed = 0;
    // Each kill starts from an empty cache, at a different fraction of an uninterrupted run's duration,
    // so the kills land in different stages (training, completion, factors, scoring chunks).
    for (const ms of [0.1, 0.2, 0.35, 0.5, 0.65].map((f) => Math.round(f * duration))) {
      const cache = join(dir, `k${ms}`);
      const out = join(dir, `o${ms}`);
      const child = experiment(dir, cache, out);
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      if ((await child.status).signal === "SIGKILL") killed++;
      clearTimeout(timer);
      const resumed = experiment(dir, cache, out);
      assert.equal((await resumed.status).code, 0);
      const got = await artifactFiles(cache);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [name, bytes] of expected) {
        assert.deepEqual(got.get(name), bytes, `${name} differs after a kill at ${ms} ms`);
      }
      const latest = JSON.parse(await Deno.readTextFile(join(out, "killtest", "latest.json")));
      await Deno.stat(join(out, "killtest", latest.runId, "report.json"));
    }
    assert.ok(killed >= 3, `only ${killed} runs were killed before finishing`);
    await Deno.remove(dir, { recursive: true });
  },
});
