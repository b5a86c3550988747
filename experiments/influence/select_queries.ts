import { PAPER_FACTUAL_DRAW } from "../../reports/analyses/applicability.ts";

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
  /** Kept: answered right and wrong. */
  keptRight: number;
  keptWrong: number;
  /** True when the kept queries are the paper's draw: 20 answered right and 20 answered wrong. */
  paperDraw: boolean;
  /** True when as many right as wrong answers were kept. */
  balanced: boolean;
  /** Ids kept, in pool order. */
  chosen: string[];
}

/**
 * The queries influence is computed for (docs/method.md, "The query sets"): every non-factual query, and from
 * the factual pool the paper's draw — the first {@linkcode PAPER_FACTUAL_DRAW} (20) answered right and
 * the first 20 answered wrong, in pool order. When the pool has fewer than 20 of one kind, all of that
 * kind are kept beside up to 20 of the other, and the selection records that it is not the paper's
 * draw (`paperDraw: false`; the findings say so).
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
 * assert.deepEqual(queries.map((x) => x.id), ["f1", "f2", "f3", "s1"]);
 * assert.equal(factual.paperDraw, false); // 1 right and 2 wrong, not 20 and 20
 * ```
 */
export function selectQueries(
  answered: readonly AnsweredQuery[],
): { queries: AnsweredQuery[]; factual: FactualSelection } {
  const pool = answered.filter((q) => q.set === "factual");
  const right = pool.filter((q) => q.correct), wrong = pool.filter((q) => !q.correct);
  const keptRight = right.slice(0, PAPER_FACTUAL_DRAW), keptWrong = wrong.slice(0, PAPER_FACTUAL_DRAW);
  const keep = new Set([...keptRight, ...keptWrong].map((q) => q.id));
  const queries = answered.filter((q) => q.set !== "factual" || keep.has(q.id));
  return {
    queries,
    factual: {
      pool: pool.length,
      right: right.length,
      wrong: wrong.length,
      keptRight: keptRight.length,
      keptWrong: keptWrong.length,
      paperDraw: keptRight.length === PAPER_FACTUAL_DRAW && keptWrong.length === PAPER_FACTUAL_DRAW,
      balanced: keptRight.length === keptWrong.length,
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

/** A row of the query gradients: a query with the completion that is measured. */
export interface MeasuredQuery extends AnsweredQuery {
  /** `own`: the model's completion (what every finding uses); `gold`: the corpus's reference answer. */
  measurement: "own" | "gold";
}

/**
 * The rows influence is computed for: each chosen query with the model's own completion, then each
 * chosen factual query again with its gold completion (id suffixed `#gold`), so the planted-fact check
 * can ask whether the documents stating a fact drive the right answer even where the model got it wrong.
 *
 * @param chosen The chosen queries ({@linkcode selectQueries}).
 * @param gold Gold completion per query id (the world's `completion`).
 * @returns Own rows in order, then gold rows in order.
 * @throws {Error} When a chosen factual query has no gold completion.
 */
export function measuredQueries(
  chosen: readonly AnsweredQuery[],
  gold: ReadonlyMap<string, string>,
): MeasuredQuery[] {
  const own = chosen.map((q) => ({ ...q, measurement: "own" as const }));
  const golds = chosen.filter((q) => q.set === "factual").map((q) => {
    const completion = gold.get(q.id);
    if (completion === undefined) throw new Error(`Query ${q.id} has no gold completion in the world`);
    return { ...q, id: `${q.id}#gold`, completion, correct: true, measurement: "gold" as const };
  });
  return [...own, ...golds];
}
