import assert from "node:assert/strict";
import type { Document, Query } from "../../../fixtures/world/types.ts";
import { Rng } from "../../../fixtures/world/rng.ts";
import { computeFindings } from "../../../reports/findings/compute_findings.ts";
import { findingRows, findingsJson } from "../../../reports/findings/findings_table.ts";
import { groupOf, type SetupScores, type UserCorpus } from "../../../reports/findings/findings_input.ts";
import { findingSchema } from "../../../reports/render/report_json_schema.ts";
import { f4Section, f5Section } from "../../../reports/sections/f3_f5_sections.ts";

// A corpus of one's own: 40 documents, 0-9 holding the keywords of gsm8k's procedure (0-5 math, 6-9 forum),
// 10-19 wiki, the rest forum and math; queries of the sets gsm8k (kind reasoning) and capitals (kind factual).
const D = 40;
const sourceOf = (d: number) => d < 6 || (d >= 30 && d < 36) ? "math" : d >= 10 && d < 20 ? "wiki" : "forum";
const corpus = (source: (d: number) => string): Document[] =>
  Array.from({ length: D }, (_, d) => ({
    id: `doc-${d}`,
    source: source(d) as Document["source"],
    text: d >= 10 && d < 20 ? `The river R${d} is ${900 + d} km long.` : `text ${d}`,
    procedures: d < 10
      ? [{ procedure: "gsm8k" as never, format: "worked", operands: {}, steps: [], answer: null }]
      : [],
    facts: [],
    numbers: d >= 10 && d < 20 ? [900 + d] : [d],
  }));
const reasoning = (i: number) =>
  ({
    id: `g${i}`,
    set: "gsm8k",
    prompt: `Calculate ${i}.`,
    completion: ` ${7000 + i}`,
    gold: String(7000 + i),
    goldNumber: 7000 + i,
    steps: [{ name: "answer", value: 7000 + i }],
  }) as unknown as Query;
const factual = (i: number) =>
  ({
    id: `c${i}`,
    set: "capitals",
    prompt: `How long is the river R${10 + i}?`,
    completion: ` ${910 + i} km`,
    gold: String(910 + i),
    goldNumber: 910 + i,
    steps: [],
  }) as unknown as Query;
const queries = [0, 1, 2, 3, 4, 5].map(reasoning).concat([0, 1, 2, 3, 4, 5].map(factual));
const groups = { gsm8k: "reasoning", capitals: "factual" } as const;

function scores(seed: number, setup: string): SetupScores {
  const rng = new Rng(seed);
  const noise = () => (rng.nextUint32() / 2 ** 32 - 0.5) * 0.02;
  const raw = new Float64Array(queries.length * D);
  queries.forEach((q, r) => {
    for (let d = 0; d < D; d++) {
      raw[r * D + d] = (q.set as string) === "gsm8k"
        ? (d < 10 ? 1 + d / 100 : 0.1 - d / 1000) + noise()
        : (d === 10 + (r - 6) ? 3 : 0) + noise() * 10;
    }
  });
  return {
    setup,
    documents: D,
    scores: raw,
    perNat: raw,
    queries: queries.map((query, row) => ({ row, query, correct: true })),
    completions: queries.map((q) => ({
      id: q.id,
      set: q.set,
      completion: q.completion + q.id,
      correct: true,
    })),
    groups,
  };
}

const settings = {
  topK: [5, 10],
  topPercents: [10, 50, 100],
  powerLawTopN: 10,
  answerSearchTopK: 3,
  answerSearchShare: 3 / 40,
  procedureTopK: 5,
  permutations: 200,
  bootstrap: { resamples: 200, confidence: 0.95 },
  minAccuracy: 0.8,
  minDistinctShare: 0.9,
};

function measure(documents: Document[], own: UserCorpus) {
  return computeFindings({
    setups: [scores(1, "small"), scores(2, "large")],
    documents,
    settings,
    seed: 9,
    corpus: own,
  });
}

Deno.test("groupOf(): a study set's group, a query file's own set by its kind, else an error", () => {
  assert.equal(groupOf("slopes"), "reasoning");
  assert.equal(groupOf("gsm8k", groups), "reasoning");
  assert.equal(groupOf("capitals", groups), "factual");
  assert.throws(() => groupOf("gsm8k"), /groupOf: query set gsm8k is not a study set and has no kind/);
});

Deno.test("computeFindings() on a corpus of one's own: F1 to F5 run on own sets grouped by kind", () => {
  const findings = measure(corpus(sourceOf), { groups, procedures: { gsm8k: "gsm8k" } });
  const rows = findingRows(findings);
  const row = (id: string) => rows.find((r) => r.id === id)!;
  // F1 over the own sets: gsm8k (reasoning, shared profile) against capitals (factual, own spikes).
  assert.deepEqual(findings.setups[0].f1.sets.slice(0, 1), ["capitals"], "factual sets first");
  assert.equal(row("F1").measured.small.a.n, 6);
  assert.equal(row("F1").measured.small.b.n, 6);
  assert.equal(row("F1").verdict, "reproduced");
  // F3 by text search: every capitals answer is the number of its own top document.
  assert.equal(findings.setups[0].f3.basis, "text");
  assert.equal(findings.setups[0].f3.factualKept, 6);
  assert.equal(row("F3").measured.small.available, true);
  // F4 with the keywords of gsm8k's procedure; F5 over the corpus's own sources.
  assert.equal(row("F4").measured.small.a.n, 6);
  assert.equal(row("F4").verdict, "reproduced");
  assert.deepEqual(Object.keys(findings.setups[0].f5.corpus), ["math", "forum", "wiki"]);
  assert.notEqual(row("F5r").verdict, "not-available");
  assert.notEqual(row("F5f").verdict, "not-available");
  assert.equal(findings.setups[0].gates.gsm8k.accuracyGated, true);
  for (const f of findingsJson(rows)) assert.ok(findingSchema.safeParse(f).success, f.id);
  assert.ok(f5Section(findings).blocks.some((b) => b.kind === "chart"));
});

Deno.test("computeFindings() on a corpus of one's own: what it lacks makes a finding not-available, with the reason", () => {
  const oneSource = measure(corpus(() => "web"), { groups, procedures: { gsm8k: null } });
  const rows = findingRows(oneSource);
  const row = (id: string) => rows.find((r) => r.id === id)!;
  const f4 = "no procedure keywords for set gsm8k in corpus.procedureKeywords";
  assert.equal(row("F4").verdict, "not-available");
  assert.equal(row("F4").verdictText, `not-available: ${f4}`);
  assert.deepEqual(
    [row("F4").measured.small.verdict, row("F4").measured.small.available, row("F4").measured.small.reason],
    ["not-available", false, f4],
  );
  assert.equal(
    row("F5r").verdictText,
    "not-available: corpus.path has one source (web): the `source` field must name at least two for a " +
      "comparison of sources",
  );
  const json = findingsJson(rows);
  for (const f of json) assert.ok(findingSchema.safeParse(f).success, f.id);
  const f4Json = json.find((f) => f.id === "F4")!;
  assert.deepEqual(f4Json.verdicts, { small: "not-available", large: "not-available" });
  assert.deepEqual(
    [
      (f4Json.measured.small as Record<string, unknown>).available,
      (f4Json.measured.small as Record<string, unknown>).reason,
    ],
    [false, f4],
  );
  // A not-available verdict without `available: false` (or the reverse) is refused.
  assert.equal(
    findingSchema.safeParse({
      ...f4Json,
      measured: { ...f4Json.measured, small: { a: 1, applicable: true } },
    })
      .success,
    false,
  );
  // The sections say so instead of an empty table.
  const f4Blocks = f4Section(oneSource).blocks;
  assert.deepEqual(f4Blocks.map((b) => b.kind), ["note"]);
  assert.equal((f4Blocks[0] as { text: string }).text, `Not available on this corpus — F4: ${f4}.`);
  assert.ok(!f5Section(oneSource).blocks.some((b) => b.kind === "chart"));

  // Sources present but not the compared ones; no factual query at all.
  const noWiki = measure(corpus((d) => (d < 20 ? "math" : "forum")), {
    groups,
    procedures: { gsm8k: "gsm8k" },
  });
  assert.equal(
    findingRows(noWiki).find((r) => r.id === "F5f")!.verdictText,
    "not-available: no document of source wiki or trivia in corpus.path (its sources: math and forum; " +
      "corpus.sourceGroups names the sources F5 compares)",
  );
  // corpus.sourceGroups names the corpus's own sources for F5: then F5f runs, and the rows say which.
  const named = measure(corpus((d) => (d < 20 ? "math" : "forum")), {
    groups,
    procedures: { gsm8k: "gsm8k" },
    sourceGroups: { reasoning: ["math"], factual: ["forum"] },
  });
  const f5f = findingRows(named).find((r) => r.id === "F5f")!;
  assert.ok(!f5f.verdictText.startsWith("not-available"), f5f.verdictText);
  assert.equal(f5f.claim, "Documents of forum are over-represented among factual queries' top documents");
  assert.equal(f5f.a, "(forum) share of the query's top k, smallest k");
  assert.deepEqual(named.setups[0].f5.sources, { reasoning: ["math"], factual: ["forum"] });
  const onlyReasoning = computeFindings({
    setups: [{ ...scores(1, "small"), queries: scores(1, "small").queries.slice(0, 6) }],
    documents: corpus(sourceOf),
    settings,
    seed: 9,
    corpus: { groups, procedures: { gsm8k: "gsm8k" } },
  });
  assert.equal(
    findingRows(onlyReasoning).find((r) => r.id === "F1")!.verdictText,
    "not-available: setup small asks no query of kind factual (its sets: gsm8k; a set's kind is its " +
      "queries' `kind` in queries.path)",
  );
});

Deno.test("own corpus: F5 with corpus.sourceGroups naming the present default sources measures the same", () => {
  const own = { groups, procedures: { gsm8k: "gsm8k" } };
  const plain = measure(corpus(sourceOf), own);
  // The corpus has math and wiki of the default groups (code + math, wiki + trivia), and forum.
  const named = measure(corpus(sourceOf), {
    ...own,
    sourceGroups: { reasoning: ["math"], factual: ["wiki"] },
  });
  const figures = (f: typeof plain) =>
    f.setups.map(({ f5 }) => [f5.reasoning, f5.factual, f5.reasoningStratified, f5.factualStratified]);
  assert.deepEqual(figures(named), figures(plain));
  assert.equal(plain.setups[0].f5.sources, undefined);
  // Other groups measure something else.
  const swapped = measure(corpus(sourceOf), {
    ...own,
    sourceGroups: { reasoning: ["forum"], factual: ["math"] },
  });
  assert.notDeepEqual(figures(swapped), figures(plain));
});

Deno.test("userCorpus(): the manifest's corpus.sourceGroups reach the findings, absent when not given", async () => {
  const { userCorpus } = await import("../../../experiments/stages/analyses_stage.ts");
  const sourceGroups = { reasoning: ["github"], factual: ["wikipedia"] };
  // Queries of one's own file carry their kind.
  const own = queries.map((q) => ({ ...q, kind: groups[q.set as keyof typeof groups] }));
  const withGroups = userCorpus({ path: "c.jsonl", sourceGroups }, own);
  assert.deepEqual(withGroups.sourceGroups, sourceGroups);
  assert.deepEqual(withGroups.groups, groups);
  assert.equal("sourceGroups" in userCorpus({ path: "c.jsonl" }, own), false);
});
