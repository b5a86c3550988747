import { generateGreedy, type GpuLlama, type GreedyOptions } from "../../engine/llama/mod.ts";
import type { TextTokenizer } from "../../fixtures/tokenizer/mod.ts";
import type { Query } from "../../fixtures/world/mod.ts";
import { accuracyBySet, isCorrect, stepDiagnostics } from "../../reports/analyses/mod.ts";

/** One query answered by a model: its greedy completion and whether the final answer is right. */
export interface CompletedQuery {
  id: string;
  set: Query["set"];
  prompt: string;
  /** The model's own completion (greedy, cut at EOS). */
  completion: string;
  correct: boolean;
}

/**
 * Completes queries greedily with a model (all prompts in one batch, KV-cached decoding) and grades
 * each completion against the query's gold answer.
 *
 * @param model The trained model.
 * @param tokenizer The proxies' tokenizer.
 * @param queries The queries to answer.
 * @param maxNewTokens Longest completion, in tokens.
 * @param onStep Called after each decoding position with the positions done and the most there can
 * be ({@linkcode GreedyOptions.onStep}).
 * @returns Completions in query order, accuracy per query set, and per reasoning set where the
 * chains break ({@linkcode stepDiagnostics} against each query's reference solution).
 */
export async function completeQueries(
  model: GpuLlama,
  tokenizer: TextTokenizer,
  queries: readonly Query[],
  maxNewTokens: number,
  onStep?: GreedyOptions["onStep"],
): Promise<{
  completions: CompletedQuery[];
  accuracy: ReturnType<typeof accuracyBySet>;
  steps: ReturnType<typeof stepDiagnostics>;
}> {
  const prompts = queries.map((q) => tokenizer.encode(q.prompt, { bos: true }));
  const room = Math.min(
    maxNewTokens,
    model.config.maxPositionEmbeddings - Math.max(...prompts.map((p) => p.length)),
  );
  const outputs = await generateGreedy(model, prompts, {
    maxNewTokens: Math.max(room, 0),
    eosId: tokenizer.special.eos,
    onStep,
  });
  const completions = queries.map((q, i) => {
    const completion = tokenizer.decode(outputs[i], { special: "skip" });
    return { id: q.id, set: q.set, prompt: q.prompt, completion, correct: isCorrect(completion, q) };
  });
  const steps = stepDiagnostics(
    completions.map((c, i) => ({ set: c.set, completion: c.completion, reference: queries[i].completion })),
  );
  return { completions, accuracy: accuracyBySet(completions), steps };
}
