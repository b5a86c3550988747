import { dirname, isAbsolute, join } from "node:path";
import { parseNumbers } from "../../fixtures/world/parse_numbers.ts";
import { FORMATS, PROCEDURES, QUERY_SETS } from "../../fixtures/world/vocabulary.ts";
import type {
  Document,
  Format,
  ProcedureLabel,
  ProcedureName,
  Query,
  QuerySet,
} from "../../fixtures/world/types.ts";
import type { SourceSummary, WorldSummary } from "../../fixtures/world/summarize_world.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";
import { UserError } from "../run/user_error.ts";

/** The query kinds a user's query may declare, and the study's query sets of each kind. */
const KIND_SETS: Record<string, readonly QuerySet[]> = {
  factual: ["factual"],
  reasoning: ["arithmetic", "slopes", "linear"],
  control: ["factual_control", "reasoning_control"],
};

/** A user's corpus and queries, as world-stage artifacts. */
export interface UserWorld {
  documents: Document[];
  queries: (Query & { completionGiven?: true; kind?: string })[];
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
 * (case-insensitive; no operands or steps); `facts` is empty (a real corpus has no planted facts);
 * `numbers` are the integers in its text. A query's reference completion is its `completion`, else its
 * `answer` after a space, else empty; `gold` is its `answer` (empty: never graded right). A reasoning or
 * reasoning-control query needs an integer `answer`; a reasoning query's steps are the integers of its
 * given completion, then the answer (searched for by text; there is no ground truth to match).
 *
 * @param manifest A manifest with `corpus` and `queries.path`.
 * @returns Documents and queries, in file order.
 * @throws {UserError} One line naming the file, the line and the field at fault.
 */
export async function readUserWorld(manifest: ResolvedManifest): Promise<UserWorld> {
  const corpus = manifest.corpus!;
  const docPath = manifestPath(manifest, corpus.path);
  const queryPath = manifestPath(manifest, manifest.queries.path!);
  const keywords = Object.entries(corpus.procedureKeywords ?? {}).map(([procedure, words]) => ({
    procedure: procedure as ProcedureName,
    words: words!.map((w) => w.toLowerCase()),
  }));
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
  const queryIds = new Set<string>();
  const queries = (await jsonl(queryPath, "queries.path")).map(({ row, at }) => {
    const id = text(row, "id", at, { nonEmpty: true });
    if (queryIds.has(id)) throw new UserError(`${at}: id ${JSON.stringify(id)} is used by an earlier query`);
    queryIds.add(id);
    const set = text(row, "set", at, { nonEmpty: true });
    if (!(QUERY_SETS as readonly string[]).includes(set)) {
      throw new UserError(`${at}: set must be one of ${QUERY_SETS.join(", ")}, got ${JSON.stringify(set)}`);
    }
    const kind = row.kind === undefined ? undefined : text(row, "kind", at, {});
    if (kind !== undefined) {
      if (!(kind in KIND_SETS)) {
        throw new UserError(`${at}: kind must be factual, reasoning or control, got ${JSON.stringify(kind)}`);
      }
      if (!KIND_SETS[kind].includes(set as QuerySet)) {
        throw new UserError(
          `${at}: kind ${kind} does not fit set ${set} (kind ${kind} is set ${KIND_SETS[kind].join(" or ")})`,
        );
      }
    }
    const prompt = text(row, "prompt", at, { nonEmpty: true });
    const completion = row.completion === undefined ? undefined : text(row, "completion", at, {});
    const answer = row.answer === undefined ? "" : text(row, "answer", at, {});
    const numeric = /^-?\d+$/.test(answer.trim()) && Number.isSafeInteger(Number(answer.trim()))
      ? Number(answer.trim())
      : null;
    const reasoning = KIND_SETS.reasoning.includes(set as QuerySet);
    if ((reasoning || set === "reasoning_control") && numeric === null) {
      throw new UserError(
        `${at}: answer must be an integer for a query of set ${set} (its answer is searched for as a number), ` +
          `got ${row.answer === undefined ? "nothing" : JSON.stringify(row.answer)}`,
      );
    }
    // A reasoning query's steps: the integers of its given completion before the answer, then the answer.
    const steps = !reasoning ? [] : [
      ...parseNumbers(completion ?? "").filter((n) => n !== numeric).map((value, i) => ({
        name: `step${i + 1}`,
        value,
      })),
      { name: "answer", value: numeric! },
    ];
    const query: UserWorld["queries"][number] = {
      id,
      set: set as QuerySet,
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
  return { documents, queries };
}

/** The JSON objects of a JSONL file, with where each lies for messages (blank lines skipped). */
async function jsonl(
  path: string,
  field: string,
): Promise<{ row: Record<string, unknown>; at: string }[]> {
  let content: string;
  try {
    content = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UserError(`Cannot read "${path}" (${field}): ${why}`);
  }
  const rows: { row: Record<string, unknown>; at: string }[] = [];
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
    rows.push({ row: row as Record<string, unknown>, at });
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

/**
 * The world stage's summary of the manifest's own corpus, in the shape of the synthetic world's
 * (`WorldSummary`, tokens counted as characters; sources as the corpus names them), plus `corpus: "user"`.
 *
 * @param user The corpus and queries.
 * @returns The summary.
 */
export function summarizeUserWorld(user: UserWorld): WorldSummary & { corpus: "user" } {
  const sources: Record<string, SourceSummary> = {};
  const procedureDocuments = Object.fromEntries(
    PROCEDURES.map((p) => [p, Object.fromEntries(FORMATS.map((f) => [f, 0]))]),
  ) as Record<ProcedureName, Record<Format, number>>;
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
    for (const label of doc.procedures) procedureDocuments[label.procedure][label.format]++;
    if (doc.procedures.length > 0) contents.procedure++;
    else contents.filler++;
  }
  for (const s of Object.values(sources)) {
    s.documentShare = s.documents / user.documents.length;
    s.tokenShare = characters > 0 ? s.tokens / characters : 0;
  }
  const none = Object.fromEntries(PROCEDURES.map((p) => [p, 0])) as Record<ProcedureName, number>;
  const queries = Object.fromEntries(QUERY_SETS.map((q) => [q, 0])) as Record<QuerySet, number>;
  for (const q of user.queries) queries[q.set]++;
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
  };
}
