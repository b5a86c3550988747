import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { loadCheckpoint } from "../../engine/model/mod.ts";
import type { Progress } from "../run/progress.ts";
import type { StageDef } from "../run/stage.ts";
import { completeQueries } from "../train/complete_queries.ts";
import { accuracyBySet, isCorrect } from "../../reports/analyses/mod.ts";
import { PROXY_FILES } from "../train/proxy_files.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { asksSet } from "../manifest/load_manifest.ts";
import { runTokenizer } from "./run_tokenizer.ts";

/**
 * Stage `complete` (per setup): the setup's model answers its query sets greedily (the paper's queries
 * carry the models' own completions; a query of the manifest's own `queries.path` that gives a completion keeps
 * it). Writes `completions.jsonl` ({id, set, prompt, completion, correct})
 * and returns accuracy per query set.
 */
export const completeStage: StageDef = {
  name: "complete",
  version: 1,
  perSetup: true,
  deps: ["world", "model"],
  settings: (_m, setup) => ({
    querySets: setup!.querySets,
    ...(setup!.everyQuerySet ? { everyQuerySet: true } : {}),
    maxNewTokens: setup!.maxCompletionTokens,
    decoding: "greedy",
  }),
  async run(ctx) {
    const setup = ctx.setup!;
    const world = await readWorldArtifact(ctx.inputs.world.dir);
    const queries = world.queries.filter((q) => asksSet(setup, q.set));
    const dir = ctx.inputs.model.dir;
    const { config, params } = loadCheckpoint(
      await Deno.readTextFile(join(dir, PROXY_FILES.config)),
      await Deno.readFile(join(dir, PROXY_FILES.weights)),
    );
    const tokenizer = (await runTokenizer(ctx.manifest)).tokenizer;
    const gpu = await acquireDevice();
    try {
      const model = new GpuLlama(gpu, config, params);
      // Progress in decoding positions: all queries are decoded together, one position at a time.
      let bar: Progress | null = null;
      let shown = 0;
      const completed = await completeQueries(
        model,
        tokenizer,
        queries,
        setup!.maxCompletionTokens,
        (done, total) => {
          bar ??= ctx.progress(`decoding ${queries.length} queries`, total);
          bar.tick(done - shown);
          shown = done;
        },
      );
      (bar as Progress | null)?.done();
      model.destroy();
      // A query of the manifest's own file that gives its completion is scored with it, not the model's.
      const given = new Map(
        queries.filter((q) => (q as { completionGiven?: boolean }).completionGiven).map((q) => [q.id, q]),
      );
      const completions = given.size === 0 ? completed.completions : completed.completions.map((c) => {
        const q = given.get(c.id);
        return q === undefined ? c : { ...c, completion: q.completion, correct: isCorrect(q.completion, q) };
      });
      const accuracy = given.size === 0 ? completed.accuracy : accuracyBySet(completions);
      await Deno.writeTextFile(
        join(ctx.outDir, "completions.jsonl"),
        completions.map((c) => JSON.stringify(c)).join("\n") + "\n",
      );
      return { accuracy };
    } finally {
      await gpu.destroy();
    }
  },
};
