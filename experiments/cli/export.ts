import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../../engine/io/mod.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import { runPlan } from "../run/run_plan.ts";
import { UserError } from "../run/user_error.ts";
import { readTokenizedCorpus, readWorldArtifact, STAGES } from "../stages/mod.ts";
import { PROXY_FILES } from "../train/proxy_files.ts";
import { fitCorpus } from "../stages/factors_stage.ts";
import { HF_TOKENIZER_FILES, runTokenizer } from "../stages/run_tokenizer.ts";
import { runCli } from "./run_cli.ts";
import { setupCommand } from "./setup_command.ts";
import { queriesFileSchema, readArtifactJson, scoresFileSchema } from "../influence/artifact_files.ts";

const HELP = `Usage: deno task export [MANIFEST] --setup NAME --out DIR [--set PATH=VALUE]...

Runs the setup's stages (cached ones are reused) and writes exactly what the harness scored, so any
PyTorch influence library can recompute from the same inputs:
  config.json, model.safetensors   the model (Hugging Face Llama format)
  vocab.json                       the project's character vocabulary (its own format, not Hugging Face's),
  or tokenizer.json (+ tokenizer_config.json)  the Hugging Face tokenizer the run used, as the checkpoint has it
  docs.jsonl         {"id", "input_ids"} per document, BOS and EOS included, in score-column order
  fit.jsonl          {"id", "input_ids"} of the documents the curvature factors were fitted on
  queries.jsonl      {"id", "prompt_ids", "completion_ids"}: the scored queries, the model's own completions
  scores.safetensors "scores": f32 [queries × documents], raw (positive = the document raises
                     log p(completion | prompt)); scores.json names the ids in order and every setting
Any setting can be changed for the export with --set, e.g. --set setups.7B.influence.strategy=kfac.
`;

async function main(): Promise<number> {
  const command = await setupCommand(Deno.args, HELP, {
    requireOut: "--out DIR is required: the folder to export into; see --help",
  });
  if (command === null) return 0;
  const { manifest, setup, out } = command;
  if (!out) throw new UserError("--out DIR is required: the folder to export into");
  const stages = STAGES.filter((s) =>
    !["controls", "counterfactual", "validate", "analyses", "report"].includes(s.name)
  );
  const plan = await runPlan(manifest, stages, {
    cacheRoot: command.cacheRoot,
    setups: [setup.name],
  });
  const art = (stage: string) =>
    plan.artifacts.get(stage === "world" || stage === "tokenize" ? stage : `${stage}@${setup.name}`)!;
  const corpus = await readTokenizedCorpus(art("tokenize").dir);
  const slice = (t: Int32Array, o: Int32Array, i: number) => Array.from(t.subarray(o[i], o[i + 1]));
  const lineOf = (c: typeof corpus) => (i: number) =>
    JSON.stringify({ id: c.documentIds[i], input_ids: slice(c.documents.tokens, c.documents.offsets, i) });
  const docLine = lineOf(corpus);
  // Fit indices refer to the corpus the fit drew from (influence.fitFrom).
  const fitLine = lineOf(fitCorpus(corpus, setup.influence.fitFrom, setup.name));

  const fitFile = await Deno.readFile(join(art("factors").dir, "fit_labels.safetensors")).catch(() => null);
  const fitDocs = fitFile
    ? readSafetensors(fitFile).tensors.get("documents")!.data as Int32Array
    : new Int32Array();

  const run = await runTokenizer(manifest);
  const tok = run.tokenizer;
  const scored = await readArtifactJson(join(art("query_gradients").dir, "queries.json"), queriesFileSchema);
  const completions = new Map(
    (await Deno.readTextFile(join(art("complete").dir, "completions.jsonl"))).split("\n").filter((l) => l)
      .map((l) => JSON.parse(l)).map((c) => [c.id, c]),
  );
  const world = await readWorldArtifact(art("world").dir);
  const golds = new Map(world.queries.map((q) => [`${q.id}#gold`, q]));
  const queries = scored.ids.map((id) => {
    // Rows `…#gold` measure a factual query's gold completion (the planted-fact check); the rest the model's own.
    const c = golds.get(id) ?? completions.get(id);
    return JSON.stringify({
      id,
      prompt_ids: Array.from(tok.encode(c.prompt, { bos: true })),
      completion_ids: Array.from(tok.encode(c.completion, { eos: true })),
    });
  });

  const scores = readSafetensors(await Deno.readFile(join(art("scores").dir, "scores.safetensors"))).tensors;
  const raw = scores.get("scores")!;
  const meta = await readArtifactJson(join(art("scores").dir, "scores.json"), scoresFileSchema);

  await Deno.mkdir(out, { recursive: true });
  const model = art("model").dir;
  await atomicWrite(join(out, PROXY_FILES.config), await Deno.readFile(join(model, PROXY_FILES.config)));
  await atomicWrite(join(out, PROXY_FILES.weights), await Deno.readFile(join(model, PROXY_FILES.weights)));
  // The tokenize stage keeps the tokenizer it used as tokenizer.json: the character vocabulary is written
  // out as vocab.json, so that no tool takes it for a Hugging Face tokenizer.json.
  if (run.kind === "character") {
    await atomicWrite(
      join(out, "vocab.json"),
      await Deno.readFile(join(art("tokenize").dir, "tokenizer.json")),
    );
  } else {
    for (const name of Object.values(HF_TOKENIZER_FILES)) {
      const bytes = await Deno.readFile(join(art("tokenize").dir, name)).catch(() => null);
      if (bytes !== null) await atomicWrite(join(out, name), bytes);
    }
  }
  await atomicWrite(join(out, "docs.jsonl"), corpus.documentIds.map((_, i) => docLine(i)).join("\n") + "\n");
  await atomicWrite(
    join(out, "fit.jsonl"),
    Array.from(fitDocs, (d) => fitLine(d)).join("\n") + (fitDocs.length ? "\n" : ""),
  );
  await atomicWrite(join(out, "queries.jsonl"), queries.join("\n") + "\n");
  await atomicWrite(join(out, "scores.safetensors"), writeSafetensors({ scores: raw }));
  await atomicWrite(
    join(out, "scores.json"),
    JSON.stringify(
      { experiment: manifest.experiment, setup: setup.name, overrides: manifest.overrides, ...meta },
      null,
      1,
    ) +
      "\n",
  );
  console.log(
    `exported ${setup.name}: ${corpus.documentIds.length} documents, ${fitDocs.length} fit documents, ` +
      `${queries.length} queries, scores ${raw.shape.join(" × ")} → ${out}`,
  );
  return 0;
}

if (import.meta.main) await runCli(main);
