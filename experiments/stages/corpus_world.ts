import { dirname, isAbsolute, join } from "node:path";
import { parseNumbers } from "../../fixtures/world/parse_numbers.ts";
import { PROCEDURES, QUERY_SETS } from "../../fixtures/world/vocabulary.ts";
import type { Document, ProcedureLabel, ProcedureName, Query, QuerySet } from "../../fixtures/world/types.ts";
import type { QueryGroup } from "../../reports/findings/findings_input.ts";
import { QUERY_SET_NAME } from "../schema/setup_schema.ts";
import type { SourceSummary, WorldSummary } from "../../fixtures/world/summarize_world.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";
import { UserError } from "../run/user_error.ts";

/** The query kinds a user's query may declare, and the study's query sets of each kind. */
const KIND_SETS: Record<QueryGroup, readonly QuerySet[]> = {
  factual: ["factual"],
  reasoning: ["arithmetic", "slopes", "linear"],
  control: ["factual_control", "reasoning_control"],
};

/** A query of the manifest's own file: a study set, or any set name with its `kind`. */
export type UserQuery = Omit<Query, "set"> & {
  /** One of the study's six sets, or the file's own set name. */
  set: string;
  /** The completion was given in the file (it is measured instead of the model's own). */
  completionGiven?: true;
  /** The group the query belongs to, as the file gives it (required for a set of its own). */
  kind?: QueryGroup;
};

/** A user's corpus and queries, as world-stage artifacts. */
export interface UserWorld {
  documents: Document[];
  queries: UserQuery[];
}

/**
 * Resolves a manifest path (relative to the manifest's folder).
 *
 * @param manifest The resolved manifest.
 * @param path A path from it.
 * @returns The path to open.
 */
export function manifestPath(manifest: ResolvedManifest, path: string): string {
  return isAbsolute(path) ? path : join(dirname(manifest.file), path);
}

/**
 * Reads the manifest's own corpus (`corpus.path`) and queries (`queries.path`) into the world stage's
 * shapes. A document's `procedures` are the procedures whose `corpus.procedureKeywords` occur in its text
 * (case-insensitive; no operands or steps; a keyword key is a study procedure or a reasoning set of the
 * query file); `facts` is empty (a real corpus has no planted facts); `numbers` are the integers in its
 * text. A query's `set` is one of the study's six sets, whose `kind` (optional) must fit it, or a name of
 * the file's own with a required `kind` (factual, reasoning or control; one kind per set). Its reference
 * completion is its `completion`, else its `answer` after a space, else empty; `gold` is its `answer`
 * (empty: never graded right). A query of the study's reasoning sets or of reasoning_control needs an
 * integer `answer`, a query of a reasoning set of the file's own a non-empty one; a reasoning query with
 * an integer answer has as steps the integers of its given completion, then the answer (searched for by
 * text; there is no ground truth to match). Every set a setup's `querySets` names must be in the file.
 *
 * @param manifest A manifest with `corpus` and `queries.path`.
 * @returns Documents and queries, in file order.
 * @throws {UserError} One line naming the file, the line and the field at fault.
 */
export async function readUserWorld(manifest: ResolvedManifest): Promise<UserWorld> {
  const corpus = manifest.corpus!;
  const docPath = manifestPath(manifest, corpus.path);
  const queryPath = manifestPath(manifest, manifest.queries.path!);
  const queries = await readUserQueries(queryPath);
  checkQuerySets(manifest, queries, queryPath);
  const keywords = Object.entries(corpus.procedureKeywords ?? {}).map(([procedure, words]) => ({
    procedure: procedure as ProcedureName,
    words: words!.map((w) => w.toLowerCase()),
  }));
  const reasoningSets = [
    ...new Set(queries.filter((q) => groupOfQuery(q) === "reasoning").map((q) => q.set)),
  ];
  for (const { procedure } of keywords) {
    if (!(PROCEDURES as readonly string[]).includes(procedure) && !reasoningSets.includes(procedure)) {
      throw new UserError(
        `Cannot use corpus.procedureKeywords.${procedure}: expected a procedure (${PROCEDURES.join(", ")}) ` +
          `or a reasoning set of "${queryPath}" (queries.path)${
            reasoningSets.length > 0 ? ` (${reasoningSets.join(", ")})` : ", which has none"
          }, got ${JSON.stringify(procedure)}`,
      );
    }
  }
  const docIds = new Set<string>();
  const documents = (await jsonl(docPath, "corpus.path")).map(({ row, at }) => {
    const id = text(row, "id", at, { nonEmpty: true });
    const body = text(row, "text", at, { nonEmpty: true });
    const source = row.source === undefined ? "web" : text(row, "source", at, { nonEmpty: true });
    if (docIds.has(id)) throw new UserError(`${at}: id ${JSON.stringify(id)} is used by an earlier document`);
    docIds.add(id);
    const lower = body.toLowerCase();
    const procedures: ProcedureLabel[] = keywords.filter((k) => k.words.some((w) => lower.includes(w))).map((
      k,
    ) => ({ procedure: k.procedure, format: "worked", operands: {}, steps: [], answer: null }));
    return { id, source, text: body, procedures, facts: [], numbers: parseNumbers(body) } as Document;
  });
  if (documents.length === 0) {
    throw new UserError(`Cannot read "${docPath}" (corpus.path): it holds no documents`);
  }
  return { documents, queries };
}

/**
 * The group of a query of the manifest's own file: its `kind`, else its study set's group.
 *
 * @param q The query.
 * @returns factual, reasoning or control.
 */
export function groupOfQuery(q: Pick<UserQuery, "set" | "kind">): QueryGroup {
  if (q.kind !== undefined) return q.kind;
  const found = (Object.keys(KIND_SETS) as QueryGroup[]).find((k) =>
    KIND_SETS[k].includes(q.set as QuerySet)
  );
  if (found === undefined) throw new Error(`groupOfQuery: set ${q.set} has no kind`);
  return found;
}

/** The queries of `queries.path`, validated line by line. */
async function readUserQueries(queryPath: string): Promise<UserQuery[]> {
  const queryIds = new Set<string>();
  const setKinds = new Map<string, { kind: QueryGroup; line: string }>();
  const queries = (await jsonl(queryPath, "queries.path")).map(({ row, at, line }) => {
    const id = text(row, "id", at, { nonEmpty: true });
    if (queryIds.has(id)) throw new UserError(`${at}: id ${JSON.stringify(id)} is used by an earlier query`);
    queryIds.add(id);
    const set = text(row, "set", at, { nonEmpty: true });
    if (!QUERY_SET_NAME.test(set)) {
      throw new UserError(
        `${at}: set must be a name of letters, digits, '.', '_' and '-' (at most 64, starting with a letter ` +
          `or digit), got ${JSON.stringify(set)}`,
      );
    }
    const study = (QUERY_SETS as readonly string[]).includes(set);
    const given = row.kind === undefined ? undefined : text(row, "kind", at, {});
    if (given !== undefined && !(given in KIND_SETS)) {
      throw new UserError(`${at}: kind must be factual, reasoning or control, got ${JSON.stringify(given)}`);
    }
    const kind = given as QueryGroup | undefined;
    if (study && kind !== undefined && !KIND_SETS[kind].includes(set as QuerySet)) {
      throw new UserError(
        `${at}: kind ${kind} does not fit set ${set} (kind ${kind} is set ${KIND_SETS[kind].join(" or ")})`,
      );
    }
    if (!study && kind === undefined) {
      throw new UserError(
        `${at}: kind is required for set ${JSON.stringify(set)} (not one of the study's sets ` +
          `${QUERY_SETS.join(", ")}): factual, reasoning or control, got nothing`,
      );
    }
    if (!study) {
      const first = setKinds.get(set);
      if (first !== undefined && first.kind !== kind) {
        throw new UserError(
          `${at}: kind ${kind} differs from kind ${first.kind} of set ${set} on line ${first.line}; ` +
            "a set has one kind",
        );
      }
      if (first === undefined) setKinds.set(set, { kind: kind!, line });
    }
    const group = groupOfQuery({ set, kind });
    const prompt = text(row, "prompt", at, { nonEmpty: true });
    const completion = row.completion === undefined ? undefined : text(row, "completion", at, {});
    const answer = row.answer === undefined ? "" : text(row, "answer", at, {});
    const numeric = /^-?\d+$/.test(answer.trim()) && Number.isSafeInteger(Number(answer.trim()))
      ? Number(answer.trim())
      : null;
    const integerNeeded = (study && group === "reasoning") || set === "reasoning_control";
    if (integerNeeded && numeric === null) {
      throw new UserError(
        `${at}: answer must be an integer for a query of set ${set} (its answer is searched for as a number), ` +
          `got ${row.answer === undefined ? "nothing" : JSON.stringify(row.answer)}`,
      );
    }
    if (!study && group === "reasoning" && answer.trim() === "") {
      throw new UserError(
        `${at}: answer must be a non-empty string for a query of set ${set} (kind reasoning: it grades the ` +
          `model and is searched for in the top documents), got ${
            row.answer === undefined ? "nothing" : JSON.stringify(row.answer)
          }`,
      );
    }
    // A reasoning query's steps: the integers of its given completion before the answer, then the answer.
    const steps = group !== "reasoning" || numeric === null ? [] : [
      ...parseNumbers(completion ?? "").filter((n) => n !== numeric).map((value, i) => ({
        name: `step${i + 1}`,
        value,
      })),
      { name: "answer", value: numeric },
    ];
    const query: UserQuery = {
      id,
      set,
      prompt,
      completion: completion ?? (answer === "" ? "" : ` ${answer}`),
      gold: answer,
      goldNumber: numeric,
      steps,
    };
    if (completion !== undefined) query.completionGiven = true;
    if (kind !== undefined) query.kind = kind;
    return query;
  });
  if (queries.length === 0) {
    throw new UserError(`Cannot read "${queryPath}" (queries.path): it holds no queries`);
  }
  return queries;
}

/** Every set a setup's `querySets` names must be a set of the query file. */
function checkQuerySets(manifest: ResolvedManifest, queries: readonly UserQuery[], queryPath: string): void {
  const sets = [...new Set(queries.map((q) => q.set))];
  for (const setup of manifest.setups) {
    const bad = setup.querySets.findIndex((s) => !sets.includes(s));
    if (bad >= 0) {
      throw new UserError(
        `Cannot use setups.${setup.name}.querySets[${bad}]: expected a set of "${queryPath}" (queries.path): ` +
          `${sets.join(", ")}; got ${JSON.stringify(setup.querySets[bad])}`,
      );
    }
  }
}

/** The JSON objects of a JSONL file, with where each lies for messages (blank lines skipped). */
async function jsonl(
  path: string,
  field: string,
): Promise<{ row: Record<string, unknown>; at: string; line: string }[]> {
  let content: string;
  try {
    content = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UserError(`Cannot read "${path}" (${field}): ${why}`);
  }
  const rows: { row: Record<string, unknown>; at: string; line: string }[] = [];
  content.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const at = `Cannot read "${path}" (${field}) line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new UserError(`${at}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new UserError(`${at}: expected a JSON object`);
    }
    rows.push({ row: row as Record<string, unknown>, at, line: String(i + 1) });
  });
  return rows;
}

function text(
  row: Record<string, unknown>,
  key: string,
  at: string,
  options: { nonEmpty?: boolean },
): string {
  const value = row[key];
  if (typeof value !== "string" || (options.nonEmpty && value.trim() === "")) {
    throw new UserError(
      `${at}: ${key} must be a${options.nonEmpty ? " non-empty" : ""} string, got ${
        value === undefined ? "nothing" : JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/** The world stage's summary of the manifest's own corpus ({@linkcode summarizeUserWorld}). */
export interface UserWorldSummary extends Omit<WorldSummary, "procedureDocuments" | "queries"> {
  /** Marks a summary of the manifest's own corpus. */
  corpus: "user";
  /** Per `corpus.procedureKeywords` key: documents holding one of its keywords. */
  procedureDocuments: Record<string, { keyword: number }>;
  /** Queries per set, in file order. */
  queries: Record<string, number>;
  /** Per set: its group (the query's `kind`, or the study set's group). */
  queryGroups: Record<string, QueryGroup>;
}

/**
 * The world stage's summary of the manifest's own corpus, in the shape of the synthetic world's
 * (`WorldSummary`, tokens counted as characters; sources as the corpus names them; procedures as the
 * keywords found them), plus `corpus: "user"` and each query set's group.
 *
 * @param user The corpus and queries.
 * @param procedureKeywords The manifest's `corpus.procedureKeywords` keys (each one listed, even with no match).
 * @returns The summary.
 */
export function summarizeUserWorld(
  user: UserWorld,
  procedureKeywords: readonly string[] = [],
): UserWorldSummary {
  const sources: Record<string, SourceSummary> = {};
  const procedureDocuments: Record<string, { keyword: number }> = Object.fromEntries(
    procedureKeywords.map((p) => [p, { keyword: 0 }]),
  );
  const contents = { procedure: 0, fact: 0, filler: 0 };
  let characters = 0;
  for (const doc of user.documents) {
    const s = sources[doc.source] ??= {
      documents: 0,
      characters: 0,
      tokens: 0,
      documentShare: 0,
      tokenShare: 0,
    };
    s.documents++;
    s.characters += doc.text.length;
    s.tokens += doc.text.length;
    characters += doc.text.length;
    for (const p of new Set(doc.procedures.map((l) => l.procedure as string))) {
      (procedureDocuments[p] ??= { keyword: 0 }).keyword++;
    }
    if (doc.procedures.length > 0) contents.procedure++;
    else contents.filler++;
  }
  for (const s of Object.values(sources)) {
    s.documentShare = s.documents / user.documents.length;
    s.tokenShare = characters > 0 ? s.tokens / characters : 0;
  }
  const none = {} as Record<ProcedureName, number>;
  const queries: Record<string, number> = {};
  const queryGroups: Record<string, QueryGroup> = {};
  for (const q of user.queries) {
    queries[q.set] = (queries[q.set] ?? 0) + 1;
    queryGroups[q.set] = groupOfQuery(q);
  }
  return {
    corpus: "user",
    documents: user.documents.length,
    characters,
    tokens: characters,
    sources: sources as WorldSummary["sources"],
    procedureDocuments,
    contents,
    factMentions: {},
    unscored: { documents: 0, characters: 0, instances: none },
    trainingInstances: { ...none },
    queries,
    queryGroups,
  };
}
