import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadManifest } from "../manifest/load_manifest.ts";
import { runPlan } from "../run/run_plan.ts";
import { UserError } from "../run/user_error.ts";
import { atomicWrite } from "../run/atomic_write.ts";
import { readTokenizedCorpus, readWorldArtifact, tokenizeStage, worldStage } from "../stages/mod.ts";
import { DEFAULT_MANIFEST } from "./experiment.ts";
import { runCli } from "./run_cli.ts";

const HELP = `Usage: deno task export [MANIFEST] --setup NAME --out DIR [--set PATH=VALUE]...

Writes the exact inputs the harness scores for one setup, for cross-checking with other tools:
  tokenizer.json   the character vocabulary
  docs.jsonl       {"id", "input_ids"} per document, BOS and EOS included, in scoring order
  queries.jsonl    {"id", "prompt_ids", "completion_ids"} for the setup's query sets
  export.json      what was exported, from which manifest and stage artifacts
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      setup: { type: "string" },
      out: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      cache: { type: "string", default: ".cache" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out) throw new UserError("--out DIR is required: the folder to export into");
  const manifest = await loadManifest(positionals[0] ?? DEFAULT_MANIFEST, values.set);
  const setup = manifest.setups.find((s) => s.name === values.setup);
  if (!setup) {
    throw new UserError(
      `--setup must name a setup of "${manifest.file}" (${manifest.setups.map((s) => s.name).join(", ")}), ` +
        `got ${values.setup === undefined ? "nothing" : `"${values.setup}"`}`,
    );
  }
  const plan = await runPlan(manifest, [worldStage, tokenizeStage], {
    cacheRoot: join(values.cache, manifest.experiment),
  });
  const worldArtifact = plan.artifacts.get("world")!;
  const tokArtifact = plan.artifacts.get("tokenize")!;
  const world = await readWorldArtifact(worldArtifact.dir);
  const corpus = await readTokenizedCorpus(tokArtifact.dir);
  const slice = (t: Int32Array, o: Int32Array, i: number) => Array.from(t.subarray(o[i], o[i + 1]));
  const docs = corpus.documentIds.map((id, i) =>
    JSON.stringify({ id, input_ids: slice(corpus.documents.tokens, corpus.documents.offsets, i) })
  );
  const sets = new Set<string>(setup.querySets);
  const q = corpus.queries;
  const queries = corpus.queryIds.flatMap((id, i) =>
    sets.has(world.queries[i].set)
      ? [JSON.stringify({
        id,
        prompt_ids: slice(q.promptTokens, q.promptOffsets, i),
        completion_ids: slice(q.completionTokens, q.completionOffsets, i),
      })]
      : []
  );
  await atomicWrite(join(values.out, "docs.jsonl"), docs.join("\n") + "\n");
  await atomicWrite(join(values.out, "queries.jsonl"), queries.join("\n") + "\n");
  await Deno.copyFile(join(tokArtifact.dir, "tokenizer.json"), join(values.out, "tokenizer.json"));
  await atomicWrite(
    join(values.out, "export.json"),
    JSON.stringify(
      {
        experiment: manifest.experiment,
        manifest: manifest.file,
        overrides: manifest.overrides,
        setup: setup.name,
        files: ["tokenizer.json", "docs.jsonl", "queries.jsonl"],
        artifacts: { world: worldArtifact.meta.key, tokenize: tokArtifact.meta.key },
      },
      null,
      2,
    ) + "\n",
  );
  console.log(
    `exported ${docs.length} documents and ${queries.length} queries of ${setup.name} to ${values.out}`,
  );
  return 0;
}

if (import.meta.main) await runCli(main);
