/**
 * F4: whether a reasoning query's top-k documents demonstrate its procedure.
 *
 * @module
 */
import type { Document, Format, ProcedureName, Query, QuerySet } from "../../fixtures/world/types.ts";
import { procedureOfSet } from "./procedure_of_set.ts";
import { scoreRow, topDocuments } from "./top_documents.ts";

/** Documents per demonstration format; a document demonstrating in several formats counts in each. */
export type FormatCounts = Record<Format, number>;

/** How many of one reasoning query's top-k documents demonstrate its procedure. */
export interface QueryProcedureMatch {
  /** The query's id. */
  queryId: string;
  /** Its query set. */
  set: QuerySet;
  /** The procedure its set asks for. */
  procedure: ProcedureName;
  /** Documents searched: k capped at the number of documents. */
  k: number;
  /** Top-k documents with a label of the query's procedure. */
  matching: number;
  /** `matching` split by the format of those labels. */
  byFormat: FormatCounts;
  /** `matching / k`. */
  shareTopK: number;
  /** Share of all documents that demonstrate the procedure. */
  baseRate: number;
  /** Share of all documents that demonstrate the procedure in each format. */
  baseRateByFormat: Record<Format, number>;
  /** `shareTopK / baseRate` (NaN when no document demonstrates the procedure). */
  ratio: number;
  /** Whether some top-k document demonstrates the procedure. */
  anyInTopK: boolean;
  /** Top-k documents with a label of any other procedure (a distractor or another target), whatever else they hold. */
  otherProcedure: number;
  /** Share of all documents with a label of another procedure. */
  otherBaseRate: number;
}

/** Procedure matches of one query set. */
export interface SetProcedureMatch {
  /** Reasoning queries of the set. */
  queries: number;
  /** Queries with some top-k document demonstrating their procedure (the paper's 16/20). */
  anyInTopK: number;
  /** Mean over queries of `shareTopK`. */
  meanShareTopK: number;
  /** The set's procedure's base rate. */
  baseRate: number;
}

/** Procedure matches per reasoning query and per set. */
export interface ProcedureMatch {
  /** One entry per reasoning query, in the order given. */
  perQuery: QueryProcedureMatch[];
  /** Reasoning sets in order of first appearance. */
  bySet: Partial<Record<QuerySet, SetProcedureMatch>>;
}

/**
 * Counts, for each reasoning query, the top-k documents that demonstrate the query's procedure (any
 * label with that procedure), by format, against the procedure's share of the whole corpus, and the
 * top-k documents that demonstrate some other procedure. Queries of sets without a procedure
 * (factual, controls) are skipped.
 *
 * @param scores Row-major [queries × documents] scores, columns in the order of `documents`.
 * @param documents The scored documents.
 * @param queries The queries with their rows in `scores`.
 * @param k Top-k cut-off (the paper uses 100).
 * @param procedureOf The procedure (label name) of a query set, or null for none; default
 *   {@linkcode procedureOfSet} (a corpus of one's own passes the `corpus.procedureKeywords` key of each set).
 * @returns Per-query matches and per-set summaries.
 * @throws {RangeError} On a bad k or row.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { procedureMatch } from "./procedure_match.ts";
 * const label = { procedure: "slope" as const, format: "code" as const, operands: {}, steps: [], answer: null };
 * const doc = (procedures: typeof label[]) => ({ id: "d", source: "code" as const, text: "", procedures, facts: [], numbers: [] });
 * const query = { id: "q", set: "slopes" as const, prompt: "", completion: "", gold: "2", goldNumber: 2, steps: [] };
 * const out = procedureMatch(new Float32Array([0.9, 0.1, 0.0, 0.0]), [doc([label]), doc([]), doc([]), doc([])], [{ row: 0, query }], 1);
 * assert.deepEqual([out.perQuery[0].matching, out.perQuery[0].baseRate, out.perQuery[0].ratio], [1, 0.25, 4]);
 * ```
 */
export function procedureMatch(
  scores: ArrayLike<number>,
  documents: readonly Document[],
  queries: readonly { row: number; query: Query }[],
  k: number,
  procedureOf: (set: string) => string | null = (set) => procedureOfSet(set as QuerySet),
): ProcedureMatch {
  const n = documents.length;
  const perQuery: QueryProcedureMatch[] = [];
  const corpus = new Map<ProcedureName, Counts>();
  for (const { row, query } of queries) {
    const procedure = procedureOf(query.set) as ProcedureName | null;
    if (procedure === null) continue;
    const top = topDocuments(scoreRow(scores, n, row), k).map((d) => documents[d]);
    const inTop = count(top, procedure);
    const inAll = corpus.get(procedure) ?? count(documents, procedure);
    corpus.set(procedure, inAll);
    const shareTopK = top.length === 0 ? NaN : inTop.matching / top.length;
    const baseRate = inAll.matching / n;
    perQuery.push({
      queryId: query.id,
      set: query.set,
      procedure,
      k: top.length,
      matching: inTop.matching,
      byFormat: inTop.byFormat,
      shareTopK,
      baseRate,
      baseRateByFormat: {
        code: inAll.byFormat.code / n,
        worked: inAll.byFormat.worked / n,
        formula: inAll.byFormat.formula / n,
      },
      ratio: baseRate === 0 ? NaN : shareTopK / baseRate,
      anyInTopK: inTop.matching > 0,
      otherProcedure: inTop.other,
      otherBaseRate: inAll.other / n,
    });
  }
  const bySet: Partial<Record<QuerySet, SetProcedureMatch>> = {};
  for (const set of new Set(perQuery.map((p) => p.set))) {
    const of = perQuery.filter((p) => p.set === set);
    bySet[set] = {
      queries: of.length,
      anyInTopK: of.filter((p) => p.anyInTopK).length,
      meanShareTopK: of.reduce((s, p) => s + p.shareTopK, 0) / of.length,
      baseRate: of[0].baseRate,
    };
  }
  return { perQuery, bySet };
}

interface Counts {
  matching: number;
  byFormat: FormatCounts;
  other: number;
}

function count(docs: readonly Document[], procedure: ProcedureName): Counts {
  const byFormat: FormatCounts = { code: 0, worked: 0, formula: 0 };
  let matching = 0, other = 0;
  for (const doc of docs) {
    const same = doc.procedures.filter((l) => l.procedure === procedure);
    if (same.length > 0) matching++;
    for (const format of new Set(same.map((l) => l.format))) byFormat[format]++;
    if (doc.procedures.some((l) => l.procedure !== procedure)) other++;
  }
  return { matching, byFormat, other };
}
