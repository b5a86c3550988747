import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, spawnCli } from "./cli_process.ts";

// ci-small's 7B setup: 3 sampled queries × 5 arms + 8 LDS subsets = 23 fine-tunes.
const FINE_TUNES = 23;

/** Names in a folder (none when it does not exist). */
async function names(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch {
    return [];
  }
}

/** The stage's folders in a cache: its finished artifact (at most one), and the fine-tunes its work folders hold. */
async function stageFolders(cache: string): Promise<{ done: string | null; saved: number }> {
  const instance = join(cache, "ci-small", "counterfactual@7B");
  let done: string | null = null, saved = 0;
  for (const name of await names(instance)) {
    if (/^[0-9a-f]{64}$/.test(name)) done = join(instance, name);
    if (!name.endsWith(".work")) continue;
    const work = await names(join(instance, name));
    saved += work.filter((f) => /^(topk|random|bottomk|identity|lexical|lds)-\d+\.json$/.test(f)).length;
  }
  return { done, saved };
}

Deno.test({
  name: "counterfactual: a run killed after some fine-tunes resumes them to byte-identical output",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const args = (cache: string) => [
      "experiments/ci-small.jsonc",
      ...["--setup", "7B", "--until", "counterfactual", "--cache", cache, "--out", dir],
    ];
    const [c1, c2] = [join(dir, "c1"), join(dir, "c2")];
    const ref = await cli("experiment", args(c1));
    assert.equal(ref.code, 0, ref.stderr);
    const expected = await Deno.readFile(join((await stageFolders(c1)).done!, "counterfactual.json"));

    // The same inputs with the stage not run yet, killed once a few fine-tunes are in its work folder.
    await new Deno.Command("cp", { args: ["-r", c1, c2] }).output();
    await Deno.remove(join(c2, "ci-small", "counterfactual@7B"), { recursive: true });
    const child = spawnCli("experiment", args(c2));
    let exited = false;
    const status = child.status.finally(() => (exited = true));
    while ((await stageFolders(c2)).saved < 2) {
      assert.ok(!exited, "the run ended before two fine-tunes were saved");
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGKILL");
    assert.equal((await status).signal, "SIGKILL");
    const killed = await stageFolders(c2);
    assert.equal(killed.done, null, "the killed run finished the stage");
    assert.ok(killed.saved < FINE_TUNES, `all ${killed.saved} fine-tunes were saved before the kill`);

    const again = await cli("experiment", args(c2));
    assert.equal(again.code, 0, again.stderr);
    const resumed = await stageFolders(c2);
    const meta = JSON.parse(await Deno.readTextFile(join(resumed.done!, "meta.json")));
    assert.equal(meta.summary.resumed, killed.saved);
    assert.equal(meta.summary.fineTunes, FINE_TUNES);
    assert.deepEqual(await Deno.readFile(join(resumed.done!, "counterfactual.json")), expected);
    await Deno.remove(dir, { recursive: true });
  },
});
