import { join } from "node:path";
import { UserError } from "../run/user_error.ts";
import { atomicWrite } from "../run/atomic_write.ts";
import { readTokenizedCorpus, readWorldArtifact } from "../stages/mod.ts";
import { runCli } from "./run_cli.ts";
import { setupCommand } from "./setup_command.ts";

const HELP = `Usage: deno task export [MANIFEST] --setup NAME --out DIR [--set PATH=VALUE]...

Writes the exact inputs the harness scores for one setup, for cross-checking with other tools:
  tokenizer.json   the character vocabulary
  docs.jsonl       {"id", "input_ids"} per document, BOS and EOS included, in scoring order
  queries.jsonl    {"id", "prompt_ids", "completion_ids"} for the setup's query sets
  export.json      what was exported, from which manifest and stage artifacts
`;

async function main(): Promise<number> {
  const command = await setupCommand(Deno.args, HELP);
  if (command === null) return 0;
  const { manifest, setup, out } = command;
  if (!out) throw new UserError("--out DIR is required: the folder to export into");
  const worldArtifact = command.world;
  const tokArtifact = command.tokenize;
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
  await atomicWrite(join(out, "docs.jsonl"), docs.join("\n") + "\n");
  await atomicWrite(join(out, "queries.jsonl"), queries.join("\n") + "\n");
  await Deno.copyFile(join(tokArtifact.dir, "tokenizer.json"), join(out, "tokenizer.json"));
  await atomicWrite(
    join(out, "export.json"),
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
    `exported ${docs.length} documents and ${queries.length} queries of ${setup.name} to ${out}`,
  );
  return 0;
}

if (import.meta.main) await runCli(main);
