/**
 * What a corpus of one's own (`corpus.path`, `queries.path`) allows each finding: the synthetic world has
 * ground truth for every finding; a real corpus has text, the `source` field and the procedure keywords the
 * manifest gives. A finding that cannot run on a setup gets a one-line reason (its verdict is then
 * `not-available`); one that runs on part of its queries gets a note saying what was left out.
 *
 * @module
 */
import {
  f5SourceGroups,
  type FindingsInput,
  groupOf,
  type QueryGroup,
  type SetupScores,
} from "./findings_input.ts";
import { corpusSources } from "./f3_f4_f5.ts";

/** The findings' row ids (docs/method.md). */
export type FindingId = "F1" | "F1x" | "F2" | "F2a" | "F2m" | "F3" | "F4" | "F5r" | "F5f";

/** Per finding: why it cannot run, or what it left out while running. */
export interface Availability {
  /** Per finding that cannot run: the one-line reason. */
  unavailable: Partial<Record<FindingId, string>>;
  /** Per finding that runs on part of its queries: what was left out. */
  notes: Partial<Record<FindingId, string>>;
}

/** Names joined for a message: `a`, `a and b`, `a, b and c`. */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * What one setup's queries and the corpus allow each per-setup finding (F1, F2, F2a, F3, F4, F5r, F5f).
 * F1, F2, F2a and F3 (by text search) need a query of kind factual and one of kind reasoning; F4 needs
 * a reasoning set whose procedure `corpus.procedureKeywords` covers (it leaves the others out, with a
 * note); F5r and F5f need at least two sources in the `source` field, documents of the sources they
 * compare (code or math; wiki or trivia) and queries of their group.
 *
 * @param s The setup's scores and queries.
 * @param input The findings input, with `corpus` (the manifest's own corpus).
 * @returns Reasons and notes; empty for the synthetic world (no `corpus`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setupAvailability } from "./availability.ts";
 * const query = (id: string, set: string) =>
 *   ({ row: 0, correct: true, query: { id, set, prompt: "", completion: "", gold: "1", goldNumber: 1, steps: [] } });
 * const doc = { id: "d", source: "web" as const, text: "", procedures: [], facts: [], numbers: [] };
 * const s = {
 *   setup: "small", documents: 1, scores: [0], perNat: [0], completions: [],
 *   queries: [query("a", "capitals"), query("b", "gsm8k")], groups: { capitals: "factual" as const, gsm8k: "reasoning" as const },
 * };
 * const corpus = { groups: s.groups, procedures: { gsm8k: null } };
 * const a = setupAvailability(s, { setups: [s], documents: [doc], settings: {} as never, seed: 1, corpus });
 * assert.equal(a.unavailable.F4, "no procedure keywords for set gsm8k in corpus.procedureKeywords");
 * assert.equal(a.unavailable.F1, undefined);
 * ```
 */
export function setupAvailability(
  s: SetupScores,
  input: Pick<FindingsInput, "corpus" | "documents">,
): Availability {
  const corpus = input.corpus;
  if (corpus === undefined) return { unavailable: {}, notes: {} };
  const unavailable: Availability["unavailable"] = {}, notes: Availability["notes"] = {};
  const setsOf = (g: QueryGroup) =>
    [...new Set(s.queries.map((q) => q.query.set as string))].filter((set) => groupOf(set, s.groups) === g);
  const factual = setsOf("factual"), reasoning = setsOf("reasoning");
  const asked = [...new Set(s.queries.map((q) => q.query.set as string))];
  const none = (g: QueryGroup) =>
    `setup ${s.setup} asks no query of kind ${g} (its sets: ${listed(asked)}; a set's kind is its queries' ` +
    "`kind` in queries.path)";
  const missing = factual.length === 0 ? none("factual") : reasoning.length === 0 ? none("reasoning") : null;
  if (missing !== null) {
    for (const id of ["F1", "F2", "F2a", "F3"] as const) unavailable[id] = missing;
  }
  // F4: the reasoning sets whose procedure has keywords.
  if (reasoning.length === 0) unavailable.F4 = none("reasoning");
  else {
    const uncovered = reasoning.filter((set) => (corpus.procedures[set] ?? null) === null);
    const reason =
      `no procedure keywords for set${uncovered.length > 1 ? "s" : ""} ${listed(uncovered)} in ` +
      "corpus.procedureKeywords";
    if (uncovered.length === reasoning.length) unavailable.F4 = reason;
    else if (uncovered.length > 0) notes.F4 = `left out: ${reason}`;
  }
  // F5: sources from the `source` field.
  const sources = corpusSources(input);
  for (const id of ["F5r", "F5f"] as const) {
    const group: QueryGroup = id === "F5r" ? "reasoning" : "factual";
    const wanted = f5SourceGroups(input)[group];
    if (sources.length < 2) {
      unavailable[id] =
        `corpus.path has one source (${sources[0]}): the \`source\` field must name at least ` +
        "two for a comparison of sources";
    } else if (!wanted.some((w) => sources.includes(w))) {
      unavailable[id] = `no document of source ${wanted.join(" or ")} in corpus.path (its sources: ${
        listed(sources)
      }; corpus.sourceGroups names the sources F5 compares)`;
    } else if ((group === "reasoning" ? reasoning : factual).length === 0) unavailable[id] = none(group);
  }
  return { unavailable, notes };
}

/**
 * What the two compared setups' queries allow the cross-setup findings: F1x needs a reasoning query of the
 * larger setup; F2m a factual and a reasoning prompt both setups were asked.
 *
 * @param small The smaller setup's scores.
 * @param large The larger setup's scores.
 * @param input The findings input, with `corpus`.
 * @returns Reasons (empty for the synthetic world).
 */
export function crossAvailability(
  small: SetupScores,
  large: SetupScores,
  input: Pick<FindingsInput, "corpus">,
): Availability {
  if (input.corpus === undefined) return { unavailable: {}, notes: {} };
  const unavailable: Availability["unavailable"] = {};
  const inSmall = new Set(small.queries.map((q) => q.query.id));
  const shared = large.queries.filter((q) => inSmall.has(q.query.id));
  const has = (list: SetupScores["queries"], g: QueryGroup) =>
    list.some((q) => groupOf(q.query.set, large.groups) === g);
  if (!has(large.queries, "reasoning")) {
    unavailable.F1x = `setup ${large.setup} asks no query of kind reasoning`;
  }
  const lacking = (["factual", "reasoning"] as const).filter((g) => !has(shared, g));
  if (lacking.length > 0) {
    unavailable.F2m = `setups ${small.setup} and ${large.setup} share no query of kind ${
      lacking.join(" or ")
    }`;
  }
  return { unavailable, notes: {} };
}

/**
 * The sentence a report section opens with when a corpus of one's own does not allow some of its findings,
 * e.g. "Not available on this corpus — F4: no procedure keywords for set gsm8k in
 * corpus.procedureKeywords." (one reason per finding when every setup gives the same, else per setup).
 *
 * @param setups The setups' findings (their `availability`).
 * @param ids The section's findings.
 * @returns The sentence, or null when every finding runs (always for the synthetic world).
 */
export function unavailableSentence(
  setups: readonly { setup: string; availability?: Availability }[],
  ids: readonly FindingId[],
): string | null {
  const parts = ids.flatMap((id) => {
    const per = setups.flatMap((s) => {
      const reason = s.availability?.unavailable[id];
      return reason === undefined ? [] : [[s.setup, reason] as const];
    });
    if (per.length === 0) return [];
    const reasons = [...new Set(per.map(([, r]) => r))];
    const all = per.length === setups.length;
    return [
      `${id}${all ? "" : ` (${per.map(([s]) => s).join(", ")})`}: ${
        reasons.length === 1 ? reasons[0] : per.map(([s, r]) => `${s}: ${r}`).join("; ")
      }`,
    ];
  });
  const notes = ids.flatMap((id) => {
    const list = [...new Set(setups.flatMap((s) => s.availability?.notes[id] ?? []))];
    return list.length === 0 ? [] : [`${id}: ${list.join("; ")}`];
  });
  const out = [
    ...(parts.length === 0 ? [] : [`Not available on this corpus — ${parts.join(". ")}.`]),
    ...(notes.length === 0 ? [] : [`Run on part of the queries — ${notes.join(". ")}.`]),
  ];
  return out.length === 0 ? null : out.join(" ");
}
