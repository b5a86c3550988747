/**
 * One evaluation of a proxy during or after training: its query sets, its held-out prompts and its factual
 * accuracy by how often the fact is stated in pretraining.
 *
 * @module
 */
import type { GpuLlama } from "../../engine/llama/mod.ts";
import type { TextTokenizer } from "../../fixtures/tokenizer/mod.ts";
import type { Fact, Query } from "../../fixtures/world/mod.ts";
import { type CompletedQuery, completeQueries } from "./complete_queries.ts";
import { type FactRecallByMentions, factRecallByMentions } from "./fact_recall.ts";

type Completed = Awaited<ReturnType<typeof completeQueries>>;

/** Right and asked, per count of a fact's mentions in pretraining. */
export type AccuracyByMentions = Record<string, { correct: number; total: number }>;

/** What {@linkcode evaluateProxy} measures. */
export interface ProxyEvaluation {
  /** The query sets' completions, in query order. */
  completions: CompletedQuery[];
  /** Accuracy per query set. */
  accuracy: Completed["accuracy"];
  /** Where the reasoning chains break, per reasoning set. */
  steps: Completed["steps"];
  /**
   * The held-out prompts (fresh operands, in no query and no document), when the world has any for the
   * setup's reasoning sets: completions, accuracy and step diagnostics per set.
   */
  heldOut: Completed | null;
  /** Factual queries answered right, by the fact's mention count in pretraining (keys are the counts). */
  factualByMentions: AccuracyByMentions;
  /** Teacher-forced log-probabilities of the factual answers and values, by the fact's mention count. */
  factualRecall: FactRecallByMentions;
}

/** Longest completion of an evaluation, in tokens. */
export const EVALUATION_TOKENS = 200;

/**
 * Completes and grades a setup's queries and held-out prompts (greedy), and tallies factual accuracy
 * and teacher-forced recall by mention count.
 *
 * @param model The model.
 * @param tokenizer The proxies' tokenizer.
 * @param queries The setup's queries.
 * @param heldOut The setup's held-out prompts (may be empty).
 * @param facts The world's facts (for mention counts).
 * @returns The evaluation.
 */
export async function evaluateProxy(
  model: GpuLlama,
  tokenizer: TextTokenizer,
  queries: readonly Query[],
  heldOut: readonly Query[],
  facts: readonly Fact[],
): Promise<ProxyEvaluation> {
  const main = await completeQueries(model, tokenizer, queries, EVALUATION_TOKENS);
  const held = heldOut.length > 0
    ? await completeQueries(model, tokenizer, heldOut, EVALUATION_TOKENS)
    : null;
  return {
    ...main,
    heldOut: held,
    factualByMentions: accuracyByMentions(queries, main.completions, facts),
    factualRecall: await factRecallByMentions(model, tokenizer, queries, facts),
  };
}

/**
 * Factual accuracy per mention count of the asked fact.
 *
 * @param queries The queries, in the order of `completions`.
 * @param completions Their graded completions.
 * @param facts The world's facts.
 * @returns Right and asked per mention count, keys in ascending numeric order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyByMentions } from "./evaluate_proxy.ts";
 * const q = (id: string, factId: string) => ({ id, set: "factual", factId }) as never;
 * const f = (id: string, mentions: number) => ({ id, mentions }) as never;
 * const got = accuracyByMentions(
 *   [q("a", "f1"), q("b", "f2"), q("c", "f2")],
 *   [{ correct: true }, { correct: false }, { correct: true }] as never,
 *   [f("f1", 8), f("f2", 2)],
 * );
 * assert.deepEqual(got, { 2: { correct: 1, total: 2 }, 8: { correct: 1, total: 1 } });
 * ```
 */
export function accuracyByMentions(
  queries: readonly Query[],
  completions: readonly Pick<CompletedQuery, "correct">[],
  facts: readonly Fact[],
): AccuracyByMentions {
  const mentions = new Map(facts.map((f) => [f.id, f.mentions]));
  const tally = new Map<number, { correct: number; total: number }>();
  queries.forEach((q, i) => {
    if (q.set !== "factual" || q.factId === undefined || !mentions.has(q.factId)) return;
    const count = mentions.get(q.factId)!;
    const entry = tally.get(count) ?? { correct: 0, total: 0 };
    entry.total++;
    if (completions[i].correct) entry.correct++;
    tally.set(count, entry);
  });
  return Object.fromEntries([...tally].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v]));
}
