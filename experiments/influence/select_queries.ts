/** A query answered by the setup's model (one line of the complete stage's `completions.jsonl`). */
export interface AnsweredQuery {
  id: string;
  set: string;
  prompt: string;
  completion: string;
  correct: boolean;
}

/** How the factual queries were chosen from the pool. */
export interface FactualSelection {
  /** Factual queries the model was asked. */
  pool: number;
  /** Of those, answered right and wrong. */
  right: number;
  wrong: number;
  /** True when as many right as wrong answers were kept (min(right, wrong) each). */
  balanced: boolean;
  /** Ids kept, in pool order. */
  chosen: string[];
}

/**
 * The queries influence is computed for (SCIENCE.md, "Their setup"): every non-factual query, and from
 * the factual pool as many answered right as wrong — the first min(right, wrong) of each, in pool
 * order. When the model answered every factual query right, or every one wrong, the pool does not allow
 * a balanced choice and all of it is kept (recorded as `balanced: false`).
 *
 * @param answered The setup's queries with its own completions, in completion-file order.
 * @returns The chosen queries (file order) and the factual selection.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectQueries } from "./select_queries.ts";
 * const q = (id: string, set: string, correct: boolean) => ({ id, set, prompt: "", completion: "", correct });
 * const { queries, factual } = selectQueries([
 *   q("f1", "factual", true), q("f2", "factual", false), q("f3", "factual", false), q("s1", "slopes", false),
 * ]);
 * assert.deepEqual(queries.map((x) => x.id), ["f1", "f2", "s1"]);
 * assert.equal(factual.balanced, true);
 * ```
 */
export function selectQueries(
  answered: readonly AnsweredQuery[],
): { queries: AnsweredQuery[]; factual: FactualSelection } {
  const pool = answered.filter((q) => q.set === "factual");
  const right = pool.filter((q) => q.correct), wrong = pool.filter((q) => !q.correct);
  const balanced = right.length > 0 && wrong.length > 0;
  const n = Math.min(right.length, wrong.length);
  const keep = new Set(
    balanced ? [...right.slice(0, n), ...wrong.slice(0, n)].map((q) => q.id) : pool.map((q) => q.id),
  );
  const queries = answered.filter((q) => q.set !== "factual" || keep.has(q.id));
  return {
    queries,
    factual: {
      pool: pool.length,
      right: right.length,
      wrong: wrong.length,
      balanced,
      chosen: queries.filter((q) => q.set === "factual").map((q) => q.id),
    },
  };
}

/**
 * Reads the complete stage's `completions.jsonl`.
 *
 * @param path The file.
 * @returns Its lines, parsed.
 */
export async function readCompletions(path: string): Promise<AnsweredQuery[]> {
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}
