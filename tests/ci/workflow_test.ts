import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadManifest, type ResolvedManifest } from "../../experiments/manifest/load_manifest.ts";
import { parseLlamaConfig } from "../../engine/model/config.ts";
import { paramCount } from "../../engine/model/params.ts";

const root = new URL("../../", import.meta.url);
const WORKFLOW = new URL(".github/workflows/experiment.yml", root);
const ALLOWED_CONTEXTS = new Set(["inputs", "matrix", "needs", "steps", "github", "env", "runner"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Step = { name?: string; uses?: string; run?: string; with?: Record<string, Json>; id?: string };
type Job = {
  if?: string;
  "runs-on"?: Json;
  needs?: string | string[];
  strategy?: { matrix?: Record<string, Json> };
  outputs?: Record<string, string>;
  container?: Json;
  steps?: Step[];
};

async function workflow(): Promise<
  { text: string; doc: { on: Record<string, Json>; jobs: Record<string, Job> } }
> {
  const text = await Deno.readTextFile(WORKFLOW);
  // strict YAML 1.2: duplicate keys and any syntax error throw.
  const doc = parse(text, { strict: true, uniqueKeys: true, prettyErrors: true });
  return { text, doc };
}

/** The step of a job whose `run` or `uses` matches. */
function step(job: Job, pattern: RegExp): Step {
  const found = (job.steps ?? []).find((s) => pattern.test(s.run ?? "") || pattern.test(s.uses ?? ""));
  assert.ok(found, `no step matching ${pattern}`);
  return found;
}

/** Every string in a YAML tree, with its key. */
function* strings(node: Json, key = ""): Generator<[string, string]> {
  if (typeof node === "string") yield [key, node];
  else if (Array.isArray(node)) { for (const item of node) yield* strings(item, key); }
  else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) yield* strings(v, k);
  }
}

/** The contexts an expression reads: leading names of property chains, not functions or literals. */
export function contextsOf(expression: string): string[] {
  const bare = expression.replace(/'(?:[^']|'')*'/g, "''");
  const names = bare.matchAll(/(?<![\w.-])([A-Za-z_][\w-]*)(?![\w-]|\s*\()/g);
  return [...names].map((m) => m[1]).filter((n) => !["true", "false", "null"].includes(n));
}

Deno.test("contextsOf() finds the contexts an expression reads", () => {
  assert.deepEqual(contextsOf("fromJSON(needs.plan.outputs.shards)"), ["needs"]);
  assert.deepEqual(contextsOf("github.event_name == 'workflow_dispatch' && secrets.X"), [
    "github",
    "secrets",
  ]);
  assert.deepEqual(contextsOf("inputs.runner-labels"), ["inputs"]);
});

Deno.test("workflow: plain YAML, no tabs, triggered by workflow_dispatch and pull_request", async () => {
  const { text, doc } = await workflow();
  assert.ok(!text.includes("\t"), "the workflow contains a tab");
  assert.deepEqual(Object.keys(doc.on).sort(), ["pull_request", "workflow_dispatch"]);
  const inputs = (doc.on.workflow_dispatch as { inputs: Record<string, { default: Json }> }).inputs;
  assert.equal(inputs.manifest.default, "experiments/procedural-knowledge.jsonc");
  assert.equal(inputs.shards.default, 4);
  assert.deepEqual(JSON.parse(String(inputs["runner-labels"].default)), ["self-hosted", "gpu"]);
});

/** The three rounds: sharded job, its merge job, the artifact each shard uploads, what the merge uploads. */
const ROUNDS = [
  {
    shard: "covariances",
    merge: "covariances-merge",
    artifact: "covariances-shard",
    merged: "covariances-merged",
  },
  { shard: "factors", merge: "factors-merge", artifact: "factors-shard", merged: "factors-merged" },
  { shard: "shard", merge: "merge", artifact: "shard", merged: null },
];

Deno.test("workflow: jobs, their triggers, runners and steps", async () => {
  const { jobs } = (await workflow()).doc;
  const gpuJobs = ["prepare", ...ROUNDS.flatMap((r) => [r.shard, r.merge])];
  assert.deepEqual(Object.keys(jobs).sort(), ["cpu", "plan", ...gpuJobs].sort());
  for (const [name, job] of Object.entries(jobs)) {
    assert.ok(job["runs-on"], `${name} has no runs-on`);
    assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${name} has no steps`);
  }
  for (const name of ["plan", ...gpuJobs]) {
    assert.equal(
      jobs[name].if,
      "github.event_name == 'workflow_dispatch'",
      `${name} runs only when dispatched`,
    );
  }
  assert.equal(jobs.cpu.if, "github.event_name == 'pull_request'");
  for (const name of gpuJobs) {
    assert.equal(
      jobs[name]["runs-on"],
      "${{ fromJSON(inputs.runner-labels) }}",
      `${name} runs on the GPU labels`,
    );
    const steps = jobs[name].steps!;
    assert.equal(steps[0].uses, "actions/checkout@v4", `${name} checks out first`);
    assert.equal(steps[1].uses, "./.github/actions/deno-webgpu", `${name} then sets up Deno and the adapter`);
  }
});

Deno.test("workflow: prepare computes the stages before the fit once, and uploads them for round 1", async () => {
  const { jobs } = (await workflow()).doc;
  const prepare = jobs.prepare;
  assert.deepEqual([prepare.needs].flat(), ["plan"]);
  assert.equal(prepare.strategy, undefined, "one job, not a matrix");
  const run = step(prepare, /--until /);
  assert.match(run.run!, /deno task experiment "\$MANIFEST" --until complete$/);
  const up = step(prepare, /^actions\/upload-artifact@/);
  assert.deepEqual([up.with?.name, up.with?.path, up.with?.["include-hidden-files"]], [
    "prepared",
    ".cache/",
    true,
  ]);
  assert.ok(prepare.steps!.indexOf(run) < prepare.steps!.indexOf(up));
});

Deno.test("workflow: rounds of shard matrices from plan, --shard I/N, each from the previous merge's .cache/", async () => {
  const { jobs } = (await workflow()).doc;
  assert.match(String(jobs.plan.outputs?.shards), /^\$\{\{ steps\.\w+\.outputs\.shards \}\}$/);
  ROUNDS.forEach((round, r) => {
    const shard = jobs[round.shard], merge = jobs[round.merge];
    assert.deepEqual([shard.needs].flat(), ["plan", r === 0 ? "prepare" : ROUNDS[r - 1].merge], round.shard);
    assert.deepEqual([merge.needs].flat(), ["plan", round.shard], round.merge);
    assert.equal(shard.strategy?.matrix?.shard, "${{ fromJSON(needs.plan.outputs.shards) }}");
    const run = step(shard, /--shard /);
    assert.match(run.run!, /deno task experiment .*--shard \$\{\{ matrix\.shard \}\}\/\S+/);
    const steps = shard.steps!;
    // Round 1 starts from prepare's models and completions (never trains them again), later rounds from
    // the previous merge.
    const restore = step(shard, /^actions\/download-artifact@/);
    assert.deepEqual(
      restore.with,
      { name: r === 0 ? "prepared" : ROUNDS[r - 1].merged, path: ".cache" },
      round.shard,
    );
    assert.ok(steps.indexOf(restore) < steps.indexOf(run), `${round.shard}: the cache is restored first`);
    // A shard uploads only the artifact folders it added (its slice), listed before it ran.
    const list = step(shard, /ci_cache\.ts list \.cache > "\$RUNNER_TEMP\/before\.txt"$/);
    const slice = step(
      shard,
      /ci_cache\.ts slice \.cache "\$RUNNER_TEMP\/before\.txt" "\$RUNNER_TEMP\/slice"$/,
    );
    const upload = step(shard, /^actions\/upload-artifact@/);
    assert.ok(
      steps.indexOf(restore) < steps.indexOf(list) && steps.indexOf(list) < steps.indexOf(run) &&
        steps.indexOf(run) < steps.indexOf(slice) && steps.indexOf(slice) < steps.indexOf(upload),
      `${round.shard}: restore, list, run, slice, upload`,
    );
    assert.equal(upload.with?.name, `${round.artifact}-\${{ matrix.shard }}`);
    assert.equal(upload.with?.path, "${{ runner.temp }}/slice/");
    assert.equal(upload.with?.["include-hidden-files"], true);

    // A merge restores the round's starting cache once and the slices beside it.
    const downloads = merge.steps!.filter((s) => /^actions\/download-artifact@/.test(s.uses ?? ""));
    assert.deepEqual(downloads.map((d) => d.with), [
      { name: r === 0 ? "prepared" : ROUNDS[r - 1].merged, path: ".cache" },
      { pattern: `${round.artifact}-*`, "merge-multiple": true, path: ".cache" },
    ]);
    const merged = step(merge, /--merge-shards /);
    assert.match(
      merged.run!,
      /deno task experiment .*--merge-shards \$\{\{ needs\.plan\.outputs\.count \}\}/,
    );
    assert.ok(
      merge.steps!.indexOf(downloads[1]) < merge.steps!.indexOf(merged),
      "the shards are downloaded first",
    );
    if (round.merged) {
      // The next round starts from the merged cache without the slices.
      const prune = step(merge, /ci_cache\.ts prune-shards \.cache$/);
      const up = step(merge, /^actions\/upload-artifact@/);
      assert.ok(merge.steps!.indexOf(merged) < merge.steps!.indexOf(prune));
      assert.ok(merge.steps!.indexOf(prune) < merge.steps!.indexOf(up));
      assert.deepEqual([up.with?.name, up.with?.path, up.with?.["include-hidden-files"]], [
        round.merged,
        ".cache/",
        true,
      ]);
    }
  });
});

Deno.test("workflow: the set-up action installs Deno from npm and the Vulkan loader, and checks the adapter", async () => {
  const text = await Deno.readTextFile(new URL(".github/actions/deno-webgpu/action.yml", root));
  assert.ok(!text.includes("\t"), "the action contains a tab");
  const action = parse(text, { strict: true, uniqueKeys: true }) as {
    inputs: Record<string, { default?: string }>;
    runs: { using: string; steps: (Step & { shell?: string })[] };
  };
  assert.equal(action.runs.using, "composite");
  assert.equal(String(action.inputs["deno-version"].default), "2.9.6");
  const steps = action.runs.steps;
  assert.equal(steps[0].uses, "actions/setup-node@v4");
  for (const s of steps.slice(1)) {
    assert.equal(s.shell, "bash", `${s.name} names its shell (composite steps must)`);
  }
  assert.match(steps[1].run!, /npm install .*"deno@\$DENO_VERSION"/);
  assert.match(steps[2].run!, /apt-get install -y -qq libvulkan1/);
  assert.match(steps[2].run!, /navigator\.gpu\.requestAdapter\(\)/);
});

Deno.test("workflow: merge restores every shard into .cache, merges, uploads report-<experiment>-<runId>", async () => {
  const { merge } = (await workflow()).doc.jobs;
  assert.ok([merge.needs].flat().includes("shard"));
  const download = merge.steps!.find((s) => s.with?.pattern === "shard-*")!;
  assert.ok(download?.uses?.startsWith("actions/download-artifact@"));
  assert.equal(download.with?.["merge-multiple"], true);
  assert.equal(download.with?.path, ".cache");
  const steps = merge.steps!;
  const at = (s: Step) => steps.indexOf(s);
  const run = step(merge, /--merge-shards /);
  assert.match(run.run!, /deno task experiment .*--merge-shards \$\{\{ needs\.plan\.outputs\.count \}\}/);
  assert.ok(at(download) < at(run), "the shards are downloaded before the merge");
  const located = step(merge, /latest\.json/);
  assert.ok(at(run) < at(located) && located.id, "latest.json is read after the merge, by a step with an id");
  const upload = step(merge, /^actions\/upload-artifact@/);
  const out = `steps.${located.id}.outputs`;
  assert.equal(upload.with?.name, `report-\${{ ${out}.experiment }}-\${{ ${out}.run_id }}`);
  assert.equal(upload.with?.path, `reports/\${{ ${out}.experiment }}/\${{ ${out}.run_id }}`);
});

Deno.test("workflow: the CPU job runs .ci/run, then ci-small in 2 shards, and uploads its report", async () => {
  const { cpu } = (await workflow()).doc.jobs;
  const steps = cpu.steps!;
  const ci = steps.findIndex((s) => s.run === ".ci/run");
  const small = steps.findIndex((s) => /experiments\/ci-small\.jsonc --shards 2/.test(s.run ?? ""));
  const upload = steps.findIndex((s) => s.uses?.startsWith("actions/upload-artifact@"));
  assert.ok(ci >= 0 && ci < small && small < upload, "order: .ci/run, ci-small, upload");
  assert.match(String(steps[upload].with?.name), /^report-ci-small-\$\{\{ steps\.\w+\.outputs\.run_id \}\}$/);
});

Deno.test("workflow: actions pinned to a major version, expressions read only known contexts", async () => {
  const { doc } = await workflow();
  const uses = [...strings(doc as unknown as Json)].filter(([k]) => k === "uses").map(([, v]) => v);
  assert.ok(uses.length >= 8);
  for (const u of uses) {
    // Actions of other repositories pinned to a major version, or this repository's own.
    if (u.startsWith("./")) assert.match(u, /^\.\/\.github\/actions\/[\w-]+$/, `local action: ${u}`);
    else assert.match(u, /^[\w.-]+\/[\w.\/-]+@v\d+$/, `unpinned action: ${u}`);
  }

  let expressions = 0;
  for (const [key, value] of strings(doc as unknown as Json)) {
    const found = [...value.matchAll(/\$\{\{(.*?)\}\}/gs)].map((m) => m[1]);
    // `if:` is an expression even without ${{ }}.
    if (key === "if" && found.length === 0) found.push(value);
    for (const expression of found) {
      expressions++;
      assert.ok(!expression.includes("${{"), `nested expression: ${value}`);
      for (const context of contextsOf(expression)) {
        assert.ok(ALLOWED_CONTEXTS.has(context), `context "${context}" in ${key}: ${value}`);
      }
    }
  }
  assert.ok(expressions > 10);
});

async function manifest(name: string): Promise<ResolvedManifest> {
  return await loadManifest(fileURLToPath(new URL(`experiments/${name}`, root)), []);
}

/** Queries a setup is asked, counting the factual pool as its factual set. */
function queryCount(m: ResolvedManifest, setup: ResolvedManifest["setups"][number]): number {
  const counts: Record<string, number> = {
    factual: m.queries.factualPool,
    arithmetic: m.queries.arithmetic,
    slopes: m.queries.slopes,
    linear: m.queries.linear,
    factual_control: m.queries.factualControl,
    reasoning_control: m.queries.reasoningControl,
  };
  return setup.querySets.reduce((sum, set) => sum + counts[set], 0);
}

function parameters(setup: ResolvedManifest["setups"][number]): number {
  const m = setup.model;
  return paramCount(parseLlamaConfig({
    hidden_size: m.hiddenSize,
    intermediate_size: m.intermediateSize,
    num_hidden_layers: m.layers,
    num_attention_heads: m.heads,
    num_key_value_heads: m.kvHeads,
    vocab_size: 100,
    tie_word_embeddings: m.tieEmbeddings,
  }));
}

Deno.test("experiments/ci-small.jsonc: both setups, trained in-stage, small", async () => {
  const m = await manifest("ci-small.jsonc");
  assert.equal(m.experiment, "ci-small");
  assert.deepEqual(m.setups.map((s) => s.name), ["7B", "35B"]);
  for (const s of m.setups) {
    assert.equal(s.checkpoint, null);
    assert.ok(s.training.steps <= 10);
  }
  assert.ok(m.world.documents <= 1000);
});

Deno.test("experiments/paper-scale.jsonc: 100 queries per setup, a large world, ~5x proxies", async () => {
  const m = await manifest("paper-scale.jsonc");
  assert.equal(m.experiment, "paper-scale");
  const [small, large] = m.setups;
  assert.deepEqual([small.name, large.name], ["7B", "35B"]);
  assert.deepEqual(m.setups.map((s) => queryCount(m, s)), [100, 100]);
  assert.ok(small.querySets.includes("arithmetic") && !small.querySets.includes("linear"));
  assert.ok(large.querySets.includes("linear") && !large.querySets.includes("arithmetic"));
  assert.ok(m.world.documents >= 100_000 && m.world.unscored.documents >= 1_000_000);
  assert.ok(m.world.facts.count >= m.queries.factualPool);
  for (const s of m.setups) {
    assert.equal(s.checkpoint, null, `${s.name} is trained in-stage`);
    assert.ok(s.model.contextLength >= m.world.maxDocChars + 2);
  }
  assert.deepEqual(m.setups.map((s) => s.influence.blocks), [2, 4]);
  const ratio = parameters(large) / parameters(small);
  assert.ok(ratio > 4.5 && ratio < 5.5, `35B / 7B parameters = ${ratio}`);
  assert.equal(small.influence.scoreChunkDocuments, 1024);
  assert.deepEqual(m.analyses.topK, [50, 500, 5000, 50000]);
  assert.equal(m.analyses.answerSearchTopK, 500);
  assert.equal(m.analyses.procedureTopK, 100);
});
