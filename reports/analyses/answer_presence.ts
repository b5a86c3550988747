/**
 * F3: whether a query's answer appears in its top-k influential documents.
 *
 * @module
 */
import type { Document, Query, QuerySet } from "../../fixtures/world/types.ts";
import { QUERY_SETS } from "../../fixtures/world/vocabulary.ts";
import { containsWholeWord } from "./contains_whole_word.ts";
import { procedureOfSet } from "./procedure_of_set.ts";
import { scoreRow, topDocuments } from "./top_documents.ts";

/** A query to search: its row in the score matrix and how the model answered it. */
export interface PresenceQuery {
  /** Row of the query in the score matrix. */
  row: number;
  /** The query. */
  query: Query;
  /** Whether the model answered it right; null when ungraded. */
  correct: boolean | null;
}

/** Whether one query's answer is in its top-k documents, by text search and by ground truth. */
export interface QueryPresence {
  /** The query's id. */
  queryId: string;
  /** Its query set. */
  set: QuerySet;
  /** Whether the model answered it right; null when ungraded. */
  correct: boolean | null;
  /** Text search: the whole answer in one document (factual), every step value in some document (reasoning). */
  text: boolean;
  /** Ground truth: the fact id (factual) or every step in a label of the procedure (reasoning); null for controls. */
  truth: boolean | null;
  /** Steps whose value the text search found; factual queries and controls have one step, the answer. */
  stepsFoundText: number;
  /** Steps searched for. */
  stepsTotal: number;
}

/** Counts and shares of queries with the answer present. */
export interface PresenceTally {
  /** Queries counted. */
  queries: number;
  /** Queries with the answer found by text search. */
  text: number;
  /** `text / queries` (NaN for no queries). */
  textShare: number;
  /** Queries where ground truth applies. */
  truthQueries: number;
  /** Of those, queries with the answer found in the ground truth. */
  truth: number;
  /** `truth / truthQueries` (NaN for none). */
  truthShare: number;
}

/** Presence tallies of one query set: all queries, those answered right and those answered wrong. */
export interface SetPresence {
  /** Every query of the set. */
  all: PresenceTally;
  /** The queries answered right. */
  correct: PresenceTally;
  /** The queries answered wrong. */
  incorrect: PresenceTally;
}

/** Answer presence per query and per set. */
export interface AnswerPresence {
  /** The top-k cut-off, capped at the number of documents. */
  k: number;
  /** One entry per query, in the order given. */
  perQuery: QueryPresence[];
  /** Sets in order of first appearance; ungraded queries count in `all` only. */
  bySet: Partial<Record<QuerySet, SetPresence>>;
}

/**
 * Searches each query's top-k documents for its answer (the paper's F3), two ways:
 * - text search: factual and factual-control queries — some document's text holds `gold` as a whole
 *   word or number ({@linkcode containsWholeWord}: case-sensitive, `12` not in `312`, `x12` or `-12`); reasoning
 *   queries — every step value, the answer included, is among the `numbers` of some document (steps
 *   may be found in different documents); reasoning controls — `goldNumber` is among some document's
 *   `numbers`; a set of one's own query file — its steps by number when it has any (a reasoning set
 *   with an integer answer), else `gold` as a whole word;
 * - ground truth: factual — some document lists `factId` in its `facts`; reasoning — every step
 *   (name and value) is a step of a label of the query's procedure in some document; null for controls
 *   and for a set of one's own query file.
 *
 * @param scores Row-major [queries × documents] scores, columns in the order of `documents`.
 * @param documents The scored documents.
 * @param queries The queries to search, with their rows and grades.
 * @param k Top-k cut-off.
 * @returns Per-query presence and tallies per set.
 * @throws {RangeError} On a bad k or row, or a reasoning query without steps or control without goldNumber.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerPresence } from "./answer_presence.ts";
 * const doc = (id: string, text: string, facts: string[]) =>
 *   ({ id, source: "wiki" as const, text, procedures: [], facts, numbers: [] });
 * const query = {
 *   id: "q", set: "factual" as const, prompt: "", completion: "", gold: "Zonum Sea", goldNumber: null,
 *   steps: [], factId: "fact-1",
 * };
 * const docs = [doc("a", "It flows into the Zonum Sea.", ["fact-1"]), doc("b", "Nothing here.", [])];
 * const out = answerPresence(new Float32Array([0.5, 0.1]), docs, [{ row: 0, query, correct: true }], 1);
 * assert.deepEqual([out.perQuery[0].text, out.perQuery[0].truth], [true, true]);
 * ```
 */
export function answerPresence(
  scores: ArrayLike<number>,
  documents: readonly Document[],
  queries: readonly PresenceQuery[],
  k: number,
): AnswerPresence {
  const perQuery = queries.map(({ row, query, correct }): QueryPresence => {
    const top = topDocuments(scoreRow(scores, documents.length, row), k).map((d) => documents[d]);
    return { queryId: query.id, set: query.set, correct, ...search(query, top) };
  });
  const bySet: Partial<Record<QuerySet, SetPresence>> = {};
  for (const set of new Set(perQuery.map((p) => p.set))) {
    const of = perQuery.filter((p) => p.set === set);
    bySet[set] = {
      all: tally(of),
      correct: tally(of.filter((p) => p.correct === true)),
      incorrect: tally(of.filter((p) => p.correct === false)),
    };
  }
  return { k: Math.min(k, documents.length), perQuery, bySet };
}

/** What a search of some documents found for one query. */
export type Found = Pick<QueryPresence, "text" | "truth" | "stepsFoundText" | "stepsTotal">;

/**
 * Whether a query's answer is in the given documents, by text search and by ground truth, as
 * {@linkcode answerPresence} decides it for a query's top k.
 *
 * @param query The query.
 * @param top The documents searched.
 * @returns Presence by text and by ground truth (null for controls), and the steps found by text.
 */
export function presenceIn(query: Query, top: readonly Document[]): Found {
  return search(query, top);
}

function search(query: Query, top: readonly Document[]): Found {
  const procedure = procedureOfSet(query.set);
  const hasNumber = (value: number) => top.some((d) => d.numbers.includes(value));
  if (!(QUERY_SETS as readonly string[]).includes(query.set) && query.steps.length > 0) {
    // A reasoning set of one's own query file with an integer answer: its steps by number, no ground truth.
    const found = query.steps.filter((s) => hasNumber(s.value)).length;
    return {
      text: found === query.steps.length,
      truth: null,
      stepsFoundText: found,
      stepsTotal: query.steps.length,
    };
  }
  if (procedure !== null) {
    const { steps } = query;
    if (steps.length === 0) throw new RangeError(`answerPresence: reasoning query ${query.id} has no steps`);
    const found = steps.filter((s) => hasNumber(s.value)).length;
    const truth = steps.every((s) =>
      top.some((d) =>
        d.procedures.some((l) =>
          l.procedure === procedure && l.steps.some((t) => t.name === s.name && t.value === s.value)
        )
      )
    );
    return { text: found === steps.length, truth, stepsFoundText: found, stepsTotal: steps.length };
  }
  if (query.set === "reasoning_control") {
    const gold = query.goldNumber;
    if (gold === null) {
      throw new RangeError(`answerPresence: reasoning control ${query.id} has no goldNumber`);
    }
    const text = hasNumber(gold);
    return { text, truth: null, stepsFoundText: Number(text), stepsTotal: 1 };
  }
  const text = top.some((d) => containsWholeWord(d.text, query.gold));
  const factId = query.factId;
  const truth = query.set === "factual" && factId !== undefined
    ? top.some((d) => d.facts.includes(factId))
    : null;
  return { text, truth, stepsFoundText: Number(text), stepsTotal: 1 };
}

function tally(of: readonly QueryPresence[]): PresenceTally {
  const text = of.filter((p) => p.text).length;
  const judged = of.filter((p) => p.truth !== null);
  const truth = judged.filter((p) => p.truth).length;
  const share = (n: number, d: number) => d === 0 ? NaN : n / d;
  return {
    queries: of.length,
    text,
    textShare: share(text, of.length),
    truthQueries: judged.length,
    truth,
    truthShare: share(truth, judged.length),
  };
}
