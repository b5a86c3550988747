import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./cli_process.ts";
import { readSafetensors } from "../../engine/io/mod.ts";
import { type MemoryPlan, planInfluenceMemory, planSettings } from "../../engine/influence/memory_plan.ts";
import { parseLlamaConfig } from "../../engine/model/config.ts";
import { decodeFactorModules } from "../../experiments/influence/factors_file.ts";
import { plannedQueryRows } from "../../experiments/influence/memory_check.ts";
import { moduleFile } from "../../experiments/influence/module_files.ts";

// One setup of two blocks (six tracked modules), 300 documents in 5 chunks, 40 fit documents in 5 parts.
const QUERIES = {
  factualPool: 4,
  arithmetic: 2,
  slopes: 0,
  linear: 0,
  factualControl: 0,
  reasoningControl: 0,
};
const MANIFEST = `{
  "experiment": "streamtest",
  "world": { "documents": 300, "facts": { "count": 10 } },
  "queries": ${JSON.stringify(QUERIES)},
  "setupDefaults": {
    "model": { "hiddenSize": 16, "intermediateSize": 24, "layers": 2, "heads": 2, "kvHeads": 1 },
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

/** The artifact folder of an instance (its last key). */
async function artifact(cache: string, instance: string): Promise<string> {
  const root = join(cache, "streamtest", instance);
  return join(root, JSON.parse(await Deno.readTextFile(join(root, "last.json"))).key);
}

/** Output files of an artifact by relative path (meta.json left out). */
async function files(dir: string, sub = ""): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(dir, sub))) {
    const path = sub === "" ? e.name : `${sub}/${e.name}`;
    if (e.isDirectory) { for (const [p, b] of await files(dir, path)) out.set(p, b); }
    else if (e.name !== "meta.json") out.set(path, await Deno.readFile(join(dir, path)));
  }
  return out;
}

Deno.test({
  name: "experiment: a deviceMemoryGiB that streams modules gives the resident run's fit, rows and scores",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "m.jsonc"), MANIFEST);
    const resident = join(dir, "resident"), streamed = join(dir, "streamed");
    // The context as long as the longest document (padded): the manifest's plan is then the stages'.
    const tokenize = await experiment(dir, resident, "--until", "tokenize");
    assert.equal(tokenize.code, 0, tokenize.stderr);
    const tokenized =
      JSON.parse(await Deno.readTextFile(join(await artifact(resident, "tokenize"), "meta.json")))
        .summary;
    const context = Math.ceil(tokenized.longestDocument / 8) * 8;
    const contextSet = ["--set", `setupDefaults.model.contextLength=${context}`];
    const plain = await experiment(dir, resident, ...contextSet);
    assert.equal(plain.code, 0, plain.stderr);

    // A budget under which the stages' plan (the tokenized lengths) holds the scoring's modules in groups
    // with the engine's widths, and the manifest's plan (query rows as long as the context) runs too. The
    // fit stages' shared buffers are half the scoring's here, so they stay resident (their groups are
    // tested on the engine, tests/engine/influence/module_groups_test.ts); the factors and query rows are
    // written per module all the same, as whenever the plan streams.
    const config = parseLlamaConfig(
      JSON.parse(await Deno.readTextFile(join(await artifact(resident, "model@7B"), "config.json"))),
    );
    const plan = (budgetBytes: number, documentTokens: number, queryTokens: number): MemoryPlan | null => {
      try {
        const p = planInfluenceMemory({
          config,
          trackedModules: ["gate_proj", "up_proj", "down_proj"],
          strategy: "ekfac",
          eigensolver: "cpu-f64",
          fitTokens: documentTokens,
          scoreTokens: documentTokens,
          queryTokens,
          queries: plannedQueryRows(QUERIES, ["factual", "arithmetic"]),
          budgetBytes,
        });
        return p.needs.length === 0 ? p : null;
      } catch {
        return null;
      }
    };
    let budget = 0, chosen: MemoryPlan | null = null;
    for (let kib = 128 * 1024; kib > 0 && chosen === null; kib -= 64) {
      const stages = plan(kib * 1024, tokenized.longestDocument, tokenized.longestQuery + 4);
      const scoring = stages?.stages.find((x) => x.stage === "scoring");
      const settings = stages && planSettings(stages);
      if (
        stages !== null && plan(kib * 1024, context, context) !== null && scoring!.groups === 3 &&
        settings!.scoreBatchDocuments === 16 && settings!.scoreProductDocuments === 128
      ) {
        [budget, chosen] = [kib * 1024, stages];
      }
    }
    assert.ok(chosen !== null, "no budget streams the scoring in 3 groups with the engine's widths");
    const gib = budget / 2 ** 30;
    const run = await experiment(
      dir,
      streamed,
      ...contextSet,
      "--set",
      `setupDefaults.deviceMemoryGiB=${gib}`,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /^scores@7B: within [\d.e-]+ GiB the tracked modules stream: scoring 2 at a time; scoring batches of 16, products of 128$/m,
    );

    await t.step("pass 1 by module groups: the same covariance parts, byte for byte", async () => {
      assert.deepEqual(
        await files(await artifact(streamed, "covariances@7B")),
        await files(await artifact(resident, "covariances@7B")),
      );
      // Bit-identical parts: the covariances key ignores the budget, so the artifact is shared.
      assert.equal(
        await artifact(streamed, "covariances@7B").then((d) => d.split("/").pop()),
        await artifact(
          resident,
          "covariances@7B",
        ).then((d) => d.split("/").pop()),
      );
    });

    await t.step("factors written per module hold the resident fit's A, S, eigenbases, Λ and D", async () => {
      const want = decodeFactorModules(
        await Deno.readFile(join(await artifact(resident, "factors@7B"), "factors.safetensors")),
        "factors.safetensors",
      );
      const got = await files(await artifact(streamed, "factors@7B"));
      assert.ok(!got.has("factors.safetensors"));
      assert.deepEqual(
        got.get("fit_labels.safetensors"),
        await Deno.readFile(
          join(await artifact(resident, "factors@7B"), "fit_labels.safetensors"),
        ),
      );
      assert.equal(want.size, 6);
      for (const [name, m] of want) {
        const path = moduleFile("factors", name);
        assert.deepEqual(decodeFactorModules(got.get(path)!, path).get(name), m, name);
      }
      assert.equal([...got.keys()].filter((k) => k.includes(".tmp-")).length, 0);
    });

    await t.step("query rows written per module equal queries.safetensors", async () => {
      const rdir = await artifact(resident, "query_gradients@7B"),
        sdir = await artifact(streamed, "query_gradients@7B");
      const want = readSafetensors(await Deno.readFile(join(rdir, "queries.safetensors"))).tensors;
      assert.deepEqual(
        await Deno.readFile(join(sdir, "queries.json")),
        await Deno.readFile(join(rdir, "queries.json")),
      );
      let count = 0;
      for (const [name, tensor] of want) {
        const layer = name.replace(/^raw\./, "");
        const file = readSafetensors(await Deno.readFile(moduleFile(join(sdir, "queries"), layer))).tensors;
        assert.deepEqual(file.get(name), tensor, name);
        count++;
      }
      assert.equal(count, 12, "P and the raw rows of six modules");
    });

    await t.step("scores, per-token scores and the controls are byte-identical", async () => {
      for (const instance of ["scores@7B", "controls@7B"]) {
        const got = await files(await artifact(streamed, instance));
        const want = await files(await artifact(resident, instance));
        assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
        for (const [name, bytes] of want) assert.deepEqual(got.get(name), bytes, `${instance} ${name}`);
      }
    });
    await Deno.remove(dir, { recursive: true });
  },
});
