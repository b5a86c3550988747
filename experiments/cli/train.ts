import { asksSet } from "../manifest/load_manifest.ts";
import { join } from "node:path";
import { acquireDevice } from "../../engine/mod.ts";
import { decodeTrainState } from "../../engine/train/mod.ts";
import { runTokenizer } from "../stages/run_tokenizer.ts";
import { UserError } from "../run/user_error.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import { formatSeconds } from "../run/progress.ts";
import { readTokenizedCorpus, readWorldArtifact } from "../stages/mod.ts";
import { trainProxy } from "../train/train_proxy.ts";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { evaluateProxy, type ProxyEvaluation } from "../train/evaluate_proxy.ts";
import { checkpointDir, PROXY_FILES } from "../train/proxy_files.ts";
import { type ProxyRecord, writeProxy } from "../train/write_proxy.ts";
import { llamaConfigFor } from "../stages/llama_config_for.ts";
import { runCli } from "./run_cli.ts";
import { setupCommand } from "./setup_command.ts";
import { refuseFinishedProxy } from "./guard_proxy.ts";

const HELP = `Usage: deno task train [MANIFEST] --setup NAME [--out DIR] [--force] [--set PATH=VALUE]...

Trains one setup's proxy on the manifest's world with its model and training settings, then completes
the setup's queries greedily and grades them. Writes to the setup's checkpoint folder (or --out):
config.json, model.safetensors, training.json (record, accuracy per query set, adapter, wall time),
completions.jsonl, train_log.jsonl. Training checkpoints go to train_state.safetensors in the same
folder every training.checkpointEvery steps; running the same command again resumes from it, and an
interrupted and resumed run ends with the same weights as an uninterrupted one. Every 1000 steps
(at a checkpoint) the queries are completed and graded, and training.json keeps that learning curve;
when the world has held-out prompts (queries.heldOut: fresh operands in no query and no document), they
are graded too, and held_out_completions.jsonl holds their final completions.
--force retrains into a folder under fixtures/proxies/ that already holds a finished proxy.
`;

/** Steps between evaluations of the query sets during training (at checkpoints that are multiples). */
const EVALUATE_EVERY = 1000;

async function main(): Promise<number> {
  const command = await setupCommand(Deno.args, HELP, { force: true, check: refuseFinishedProxy });
  if (command === null) return 0;
  const { manifest, setup } = command;
  const out = command.out ?? checkpointDir(manifest, setup);
  if (!out) throw new UserError(`Setup ${setup.name} names no checkpoint folder: pass --out DIR`);
  await Deno.mkdir(out, { recursive: true });
  const world = await readWorldArtifact(command.world.dir);
  const corpus = await readTokenizedCorpus(command.tokenize.dir);
  const { tokenizer } = await runTokenizer(manifest);
  const gpu = await acquireDevice();
  const config = llamaConfigFor(setup.model, tokenizer.vocabSize);
  const abort = new AbortController();
  const onSignal = () => abort.abort(new UserError("Interrupted; run the same command again to resume"));
  Deno.addSignalListener("SIGINT", onSignal);
  const started = new Date();
  // Sessions of a training on other data (another world or tokenizer) are not this training's time.
  const previous = await readRecord(join(out, PROXY_FILES.record));
  const sameData = previous?.data?.tokenize === command.tokenize.meta.key;
  const earlier = sameData ? await readSessions(join(out, PROXY_FILES.log)) : [];
  const before = earlier.reduce((s, x) => s + x.wallSeconds, 0);
  let elapsed = 0;
  let recentLoss: number | null = null;
  const asked = (q: { set: string }) => asksSet(setup, q.set);
  const queries = world.queries.filter(asked);
  const heldOut = world.heldOut.filter(asked);
  // Accuracy per query set at each checkpoint: the learning curve of the tasks, kept across sessions.
  const evaluations: NonNullable<ProxyRecord["evaluations"]> = sameData ? previous?.evaluations ?? [] : [];
  const evaluate = (model: GpuLlama) => evaluateProxy(model, tokenizer, queries, heldOut, world.facts);
  const entry = (step: number, e: ProxyEvaluation) => ({
    step,
    accuracy: e.accuracy,
    steps: e.steps,
    ...(e.heldOut ? { heldOut: { accuracy: e.heldOut.accuracy, steps: e.heldOut.steps } } : {}),
    factualByMentions: e.factualByMentions,
    factualRecall: e.factualRecall,
  });
  const base = {
    setup: setup.name,
    steps: setup.training.steps,
    model: setup.model,
    training: setup.training,
    data: {
      world: command.world.meta.key,
      tokenize: command.tokenize.meta.key,
    },
    adapter: gpu.adapterInfo,
  };
  try {
    console.error(`training ${setup.name} on ${gpu.adapterInfo.description} (${setup.training.steps} steps)`);
    const trained = await trainProxy({
      gpu,
      setup,
      corpus,
      tokenizer,
      maxDocChars: manifest.world.maxDocChars,
      statePath: join(out, PROXY_FILES.state),
      signal: abort.signal,
      onProgress: (p) => {
        elapsed = p.elapsedSeconds;
        recentLoss = p.meanLoss;
        console.error(
          `${setup.name} step ${p.step}/${p.steps} loss ${p.meanLoss.toFixed(4)} ` +
            `lr ${p.learningRate.toExponential(2)} ${p.tokensPerSecond.toFixed(0)} tok/s, ${
              formatSeconds(p.elapsedSeconds)
            }`,
        );
      },
      // Every training checkpoint also publishes its weights, so the folder always holds a usable model.
      onCheckpoint: async (bytes) => {
        const state = decodeTrainState(bytes);
        if (state.step >= setup.training.steps) return;
        const params = new Map([...state.params].map(([name, p]) => [name, p.data]));
        if (state.step % EVALUATE_EVERY === 0) {
          const snapshot = new GpuLlama(gpu, config, params);
          try {
            const evaluation = await evaluate(snapshot);
            evaluations.splice(0, evaluations.length, ...evaluations.filter((e) => e.step < state.step));
            evaluations.push(entry(state.step, evaluation));
            console.error(`${setup.name} step ${state.step} ${describe(evaluation)}`);
          } finally {
            snapshot.destroy();
          }
        }
        // Log this session up to this checkpoint: a killed session still counts the time it kept.
        const session = {
          started: started.toISOString(),
          ended: new Date().toISOString(),
          step: state.step,
          wallSeconds: elapsed,
        };
        await atomicWrite(
          join(out, PROXY_FILES.log),
          [...earlier, session].map((x) => JSON.stringify(x)).join("\n") + "\n",
        );
        await writeProxy(out, config, params, {
          ...base,
          status: "in-training",
          step: state.step,
          tokensSeen: state.tokensSeen,
          recentLoss,
          wallSeconds: before + elapsed,
          evaluations,
        });
      },
    });
    const evaluation = await evaluate(trained.model);
    const { completions, accuracy, steps } = evaluation;
    evaluations.splice(0, evaluations.length, ...evaluations.filter((e) => e.step < trained.record.steps));
    evaluations.push(entry(trained.record.steps, evaluation));
    trained.model.destroy();
    const session = {
      started: started.toISOString(),
      ended: new Date().toISOString(),
      resumedFromStep: trained.record.resumedFromStep,
      steps: trained.record.steps,
      wallSeconds: trained.record.wallSeconds,
      adapter: gpu.adapterInfo,
    };
    const sessions = [...earlier, session];
    await atomicWrite(join(out, PROXY_FILES.log), sessions.map((x) => JSON.stringify(x)).join("\n") + "\n");
    await atomicWrite(
      join(out, PROXY_FILES.completions),
      completions.map((c) => JSON.stringify(c)).join("\n") + "\n",
    );
    if (evaluation.heldOut) {
      await atomicWrite(
        join(out, PROXY_FILES.heldOut),
        evaluation.heldOut.completions.map((c) => JSON.stringify(c)).join("\n") + "\n",
      );
    }
    await writeProxy(out, trained.config, trained.params, {
      ...base,
      status: "trained",
      step: trained.record.steps,
      tokensSeen: trained.record.tokensSeen,
      recentLoss: trained.record.smoothedFinalLoss,
      wallSeconds: sessions.reduce((s, x) => s + x.wallSeconds, 0),
      accuracy,
      stepDiagnostics: steps,
      ...(evaluation.heldOut
        ? { heldOut: { accuracy: evaluation.heldOut.accuracy, stepDiagnostics: evaluation.heldOut.steps } }
        : {}),
      factualByMentions: evaluation.factualByMentions,
      factualRecall: evaluation.factualRecall,
      evaluations,
      record: trained.record,
    });
    await Deno.remove(join(out, PROXY_FILES.state)).catch(() => {});
    console.log(
      `${setup.name}: final loss ${trained.record.finalLoss.toFixed(4)}, accuracy ` +
        Object.entries(accuracy).map(([s, a]) => `${s} ${(100 * a.accuracy).toFixed(0)}%`).join(", ") +
        ` → ${out}`,
    );
  } catch (error) {
    // A stopped session still counts its training time.
    if (elapsed > 0) {
      const session = {
        started: started.toISOString(),
        ended: new Date().toISOString(),
        wallSeconds: elapsed,
      };
      await atomicWrite(
        join(out, PROXY_FILES.log),
        [...earlier, session].map((x) => JSON.stringify(x)).join("\n") + "\n",
      );
    }
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await gpu.destroy();
  }
  return 0;
}

/** One console line of an evaluation: accuracy per set, held-out accuracy, where the chains break. */
function describe(e: ProxyEvaluation): string {
  const acc = (a: ProxyEvaluation["accuracy"]) =>
    Object.entries(a).map(([s, x]) => `${s} ${x.correct}/${x.total}`).join(", ");
  const held = e.heldOut ? `; held-out ${acc(e.heldOut.accuracy)}` : "";
  const recall = Object.entries(e.factualRecall).map(([k, r]) => `${k}: ${r.value.toFixed(2)}`).join(", ");
  return `accuracy ${acc(e.accuracy)}${held}${
    recall ? `; fact log p(value) by mentions ${recall}` : ""
  }; distinct, operands copied, equations right ` +
    Object.entries(e.steps).map(([s, d]) =>
      `${s} ${d.distinctCompletions}/${d.completions}, ${d.operandsCopied}/${d.completions}, ` +
      `${d.equationsRight}/${d.equations}`
    ).join("; ");
}

async function readRecord(path: string): Promise<Partial<ProxyRecord> | null> {
  return await Deno.readTextFile(path).then((t) => JSON.parse(t), () => null);
}

async function readSessions(path: string): Promise<{ wallSeconds: number }[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

if (import.meta.main) await runCli(main);
