import assert from "node:assert/strict";
import type { Document, Query } from "../../../fixtures/world/types.ts";
import { Rng } from "../../../fixtures/world/rng.ts";
import { computeControlFindings, computeFindings } from "../../../reports/findings/compute_findings.ts";
import { computeFindingsParallel } from "../../../reports/findings/parallel_findings.ts";
import {
  findingRows,
  findingRowsWithControls,
  findingsJson,
} from "../../../reports/findings/findings_table.ts";
import type { SetupScores } from "../../../reports/findings/findings_input.ts";
import { findingSchema } from "../../../reports/render/report_json_schema.ts";
import { findingsSection } from "../../../reports/sections/findings_section.ts";

// A hand-made world of 40 documents: 0-9 demonstrate the slope procedure (0-5 math, 6-9 web), 10-19 each
// state one fact (wiki), 20-39 are filler (30-35 math, the rest web), so that within math and within web
// some documents demonstrate the procedure and some do not (F4's null shuffles labels within sources). The
// scores are built so that every paper effect holds by construction.
const D = 40;
const documents: Document[] = Array.from({ length: D }, (_, d) => ({
  id: `doc-${d}`,
  source: d < 6 || (d >= 30 && d < 36) ? "math" : d < 10 ? "web" : d < 20 ? "wiki" : "web",
  text: d >= 10 && d < 20 ? `The river R${d} is ${900 + d} km long.` : `text ${d}`,
  procedures: d < 10 ? [{ procedure: "slope", format: "worked", operands: {}, steps: [], answer: null }] : [],
  facts: d >= 10 && d < 20 ? [`fact-${d - 10}`] : [],
  numbers: d >= 10 && d < 20 ? [900 + d] : [d],
}));
const slope = (i: number): Query => ({
  id: `q-slopes-${i}`,
  set: "slopes",
  prompt: `What is the slope ${i}?`,
  completion: "\n...",
  gold: String(7000 + i),
  goldNumber: 7000 + i,
  steps: [{ name: "dy", value: 5000 + i }, { name: "answer", value: 7000 + i }],
  operands: { x1: 0, y1: 0, x2: 1, y2: 1 },
});
const factual = (i: number): Query => ({
  id: `q-factual-${i}`,
  set: "factual",
  prompt: `How long is the river R${10 + i}?`,
  completion: `\nThe river R${10 + i} is ${910 + i} km long.`,
  gold: String(910 + i),
  goldNumber: 910 + i,
  steps: [{ name: "answer", value: 910 + i }],
  factId: `fact-${i}`,
  entity: `R${10 + i}`,
});
// Six queries per group: a test over queries can reach p < 0.05 with six (a sign-flip test's floor is
// 2/2^6), not with four (2/16).
const queries = [0, 1, 2, 3, 4, 5].map(slope).concat([0, 1, 2, 3, 4, 5].map(factual));

function scores(seed: number, factualScale: number): SetupScores {
  const rng = new Rng(seed);
  const noise = () => (rng.nextUint32() / 2 ** 32 - 0.5) * 0.02;
  const raw = new Float64Array(queries.length * D);
  queries.forEach((q, r) => {
    for (let d = 0; d < D; d++) {
      // Reasoning: one shared profile (slope documents high). Factual: the query's own fact document.
      raw[r * D + d] = q.set === "slopes"
        ? (d < 10 ? 1 + d / 100 : 0.1 - d / 1000) + noise()
        : (d === 10 + (r - 6) ? factualScale : 0) + noise() * 10;
    }
  });
  return {
    setup: "",
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

Deno.test("computeFindings() measures effects built into hand-made scores; computeFindingsParallel() agrees", async () => {
  const findings = computeFindings({
    setups: [{ ...scores(1, 2), setup: "7B" }, { ...scores(2, 4), setup: "35B" }],
    documents,
    settings,
    seed: 9,
  });
  const [small] = findings.setups;
  // F1: slopes pairs share one profile (r ≈ 1); factual rows are independent noise with one spike.
  assert.ok(small.f1.within.slopes.mean > 0.99, `${small.f1.within.slopes.mean}`);
  assert.ok(Math.abs(small.f1.within.factual.mean) < 0.3);
  assert.equal(small.f1.comparison.verdict, "reproduced");
  // One value per query (its mean r with the rest of its set), tested by shuffling set labels.
  assert.equal(small.f1.comparison.test.name, "set-label permutation (Δ mean r)");
  assert.equal(small.f1.comparison.a.n, 6);
  assert.equal(small.f1.comparison.b.n, 6);
  assert.ok(small.f1.comparison.test.pValue! < 0.02, `${small.f1.comparison.test.pValue}`);
  assert.ok(small.f1.comparison.effect.difference.mean > 0.7);
  assert.ok(small.f1.comparison.effect.d > 2, `${small.f1.comparison.effect.d}`);
  assert.equal(small.f1.perQuery.length, 12);
  assert.ok(small.f1.permutation.slopes.pValue <= 1 / 201 + 1e-12);
  assert.deepEqual(small.f1.ids.slice(0, 6), [0, 1, 2, 3, 4, 5].map((i) => `q-factual-${i}`));
  // F3: each factual query's top document states its fact; no document holds the slopes' step values.
  assert.deepEqual(
    small.f3.presence.perQuery.map((q) => q.truth),
    [...Array(6).fill(false), ...Array(6).fill(true)],
  );
  assert.equal(small.f3.truth.verdict, "reproduced");
  // Each as presence minus its chance in k = 3 random documents: a factual query's one fact document is
  // among 3 random ones with chance 3/40; no document holds a slopes query's steps, so its chance is 0.
  assert.ok(Math.abs(small.f3.truth.effect.difference.mean - (1 - 3 / 40)) < 0.05);
  assert.equal(small.f3.k, 3);
  assert.ok(Math.abs(small.f3.raw.chanceFactual - 3 / 40) < 0.05);
  assert.equal(small.f3.raw.chanceReasoning, 0);
  assert.equal(small.f3.factualKept, 6);
  assert.equal(small.f3.normalised, null, "the hand-made scores have no normalised view");
  // F4: the top 5 of every slopes query are slope documents (base rate 10/40): ratio 4. Six queries
  // alike: the sign-flip test's exact p is 2/2^6, not the ≈ 0 a t-test gives near-identical values.
  assert.deepEqual(small.f4.perQuery.map((q) => q.ratio), Array(6).fill(4));
  assert.equal(small.f4.comparison.verdict, "reproduced");
  assert.equal(small.f4.comparison.test.pValue, 2 / 64);
  assert.equal(small.f4.comparison.effect.difference.mean, 3);
  assert.equal(small.f4.bySet.slopes.anyInTopK, 6);
  // F4's verdict: the same top 5 against what their sources predict — doc 5 is math (6 of 12 math documents
  // demonstrate slopes), docs 6-9 web (4 of 18) — with the labels shuffled within each source as the null.
  const expected = (6 / 12 + 4 * (4 / 18)) / 5;
  assert.ok(small.f4.stratified.b.mean - expected < 1e-12 && expected - small.f4.stratified.b.mean < 1e-12);
  assert.equal(small.f4.stratified.a.mean, 1);
  assert.equal(small.f4.stratified.verdict, "reproduced");
  assert.ok(small.f4.stratified.test.pValue! <= 2 / 201, `${small.f4.stratified.test.pValue}`);
  // F5: the reasoning top 5 (docs 5-9) hold one math document: (code + math) share 0.2 against the corpus's
  // 12/40 (ratio 2/3). Against documents of the same content (slope documents: 6 of 10 math) it is below
  // expectation, so the stratified test does not reproduce F5r here.
  assert.ok(Math.abs(small.f5.reasoning.a.mean - 0.2 / 0.3) < 1e-12);
  assert.ok(Math.abs(small.f5.reasoningStratified.a.mean - 0.2) < 1e-12);
  assert.ok(Math.abs(small.f5.reasoningStratified.b.mean - 0.6) < 1e-12);
  assert.notEqual(small.f5.reasoningStratified.verdict, "reproduced");
  // Cross-setup: the same prompts; factual spikes doubled in the larger setup.
  const cross = findings.cross!;
  assert.equal(cross.samePrompt.length, 12);
  // F1x: the 35B's slopes queries correlate within their set far more than a prompt across setups.
  assert.equal(cross.transfer.a.n, 6);
  assert.equal(cross.transfer.b.n, 12);
  assert.ok(cross.samePrompt.filter((p) => p.set === "slopes").every((p) => p.r > 0.99));
  // Deterministic for a seed.
  const again = computeFindings({
    setups: [{ ...scores(1, 2), setup: "7B" }, { ...scores(2, 4), setup: "35B" }],
    documents,
    settings,
    seed: 9,
  });
  assert.deepEqual(again, findings);
  // The same with F1's permutation tests in two workers.
  const parallel = await computeFindingsParallel({
    setups: [{ ...scores(1, 2), setup: "7B" }, { ...scores(2, 4), setup: "35B" }],
    documents,
    settings,
    seed: 9,
  }, 2);
  assert.deepEqual(parallel, findings);

  const rows = findingRows(findings);
  assert.deepEqual(rows.map((r) => r.id), ["F1", "F1x", "F2", "F2a", "F2m", "F3", "F4", "F5r", "F5f"]);
  assert.equal(rows.find((r) => r.id === "F4")!.verdict, "reproduced");
  for (const entry of findingsJson(rows)) findingSchema.parse(entry);
});

Deno.test("findingRows() makes a setup that fails a gate not applicable to the findings using that set", () => {
  // 7B: its slopes answered right 2 times in 6 (below 80%) and written as one chain for every query.
  const weak = scores(1, 2);
  weak.completions = weak.completions.map((c, i) =>
    c.set === "slopes" ? { ...c, completion: "the same chain", correct: i < 2 } : c
  );
  const findings = computeFindings({
    setups: [{ ...weak, setup: "7B" }, { ...scores(2, 4), setup: "35B" }],
    documents,
    settings,
    seed: 9,
  });
  const gate = findings.setups[0].gates.slopes;
  assert.equal(gate.applicable, false);
  assert.equal(
    gate.reason,
    "slopes: 2/6 answered right (33%), below 80%; 1 distinct completion of 6 (17%), below 90%",
  );
  assert.equal(findings.setups[1].gates.slopes.applicable, true);
  assert.equal(findings.setups[0].gates.factual.accuracyGated, false);
  const rows = findingRows(findings);
  const row = (id: string) => rows.find((r) => r.id === id)!;
  // Every finding that uses the reasoning sets, and both cross-setup ones, leave 7B out.
  for (const id of ["F1", "F2", "F2a", "F3", "F4", "F5r"]) {
    const m = row(id).measured["7B"];
    assert.equal(m.verdict, "not-applicable", id);
    assert.equal(m.applicable, false, id);
    assert.equal(m.reason, gate.reason, id);
    assert.equal(row(id).measured["35B"].applicable, true, id);
  }
  assert.equal(row("F1").measured["7B"].testVerdict, "reproduced", "the test alone is kept");
  assert.equal(row("F1").verdict, "reproduced");
  assert.equal(row("F1").verdictText, "reproduced (35B only; 7B not applicable)");
  assert.equal(row("F4").verdictText, "reproduced (35B only; 7B not applicable)");
  // F5f uses the factual set only: 7B stays applicable.
  assert.equal(row("F5f").measured["7B"].applicable, true);
  assert.equal(row("F1x").measured["7B→35B"].verdict, "not-applicable");
  assert.match(row("F1x").measured["7B→35B"].reason!, /^7B: slopes: 2\/6/);
  assert.equal(row("F1x").verdict, "not-applicable");
  assert.equal(row("F1x").verdictText, "not-applicable (7B→35B)");
  // Six factual queries all answered right are not the paper's draw of 20 + 20: every row using them says so.
  assert.equal(
    row("F2").measured["35B"].note,
    "factual: 6 answered right and 0 wrong (the paper: 20 and 20; the pool of 6 has 6 right and 0 wrong)",
  );
  assert.equal(row("F4").measured["35B"].note, null, "F4 does not use the factual queries");
  // report.json: the contract other tools read.
  const json = findingsJson(rows);
  for (const entry of json) findingSchema.parse(entry);
  const f1 = json.find((f) => f.id === "F1")!;
  assert.equal((f1.verdicts as Record<string, string>)["7B"], "not-applicable");
  const m7 = f1.measured["7B"] as Record<string, unknown>;
  assert.equal(m7.applicable, false);
  assert.equal(m7.reason, gate.reason);
  const m35 = f1.measured["35B"] as Record<string, unknown>;
  assert.equal(m35.applicable, true);
  assert.ok((m35.pValue as number) < 0.05 && (m35.difference as number) > 0.7 && (m35.cohensD as number) > 2);
  assert.equal(f1.verdictText, "reproduced (35B only; 7B not applicable)");
  // A verdict of not-applicable without the measurement saying why is rejected.
  const bad = { ...f1, measured: { ...f1.measured, "7B": { ...m7, applicable: true } } };
  assert.equal(findingSchema.safeParse(bad).success, false);
});

Deno.test("findingRowsWithControls(): a control that reproduces a finding as strongly explains it away; one that does not, not", () => {
  const setups = [{ ...scores(1, 2), setup: "7B" }, { ...scores(2, 4), setup: "35B" }];
  const input = { setups, documents, settings, seed: 9 };
  // The lexical control here is influence's own scores (as strong by construction); the untrained one is
  // noise that ranks nothing.
  const noise = (s: SetupScores, seed: number): SetupScores => {
    const rng = new Rng(seed);
    const data = Float64Array.from(s.scores as ArrayLike<number>, () => rng.nextUint32() / 2 ** 32 - 0.5);
    return { ...s, scores: data, perNat: data };
  };
  const findings = {
    ...computeFindings(input),
    controls: computeControlFindings(input, {
      lexical: setups,
      untrained: setups.map((s, i) => noise(s, 100 + i)),
    }),
  };
  const rows = findingRowsWithControls(findings);
  const f4 = rows.find((r) => r.id === "F4")!;
  assert.equal(f4.verdict, "reproduced");
  assert.deepEqual(f4.explainedBy, { "7B": ["lexical"], "35B": ["lexical"] });
  assert.match(
    f4.verdictText,
    /; as strongly by surface overlap \(BM25\) for 7B, surface overlap \(BM25\) for 35B/,
  );
  assert.equal(f4.controls!.untrained!.measured["7B"].verdict === "reproduced", false);
  assert.deepEqual(Object.keys(f4.controls!).sort(), ["lexical", "untrained"]);
  // A finding influence does not reproduce is explained by nothing.
  for (const r of rows) {
    for (const [setup, m] of Object.entries(r.measured)) {
      if (m.verdict !== "reproduced") assert.deepEqual(r.explainedBy![setup], [], `${r.id} ${setup}`);
    }
  }
  // report.json carries them in the contract's shape.
  for (const entry of findingsJson(rows)) {
    findingSchema.parse(entry);
    assert.deepEqual(Object.keys(entry.controls as object).sort(), ["lexical", "untrained"]);
  }
  // Without controls the rows are findingRows' own.
  assert.deepEqual(findingRowsWithControls(computeFindings(input)), findingRows(computeFindings(input)));
});

Deno.test("findingsSection() shows each control's verdict per setup, and what the test alone says where a gate fails", () => {
  const weak = scores(1, 2);
  weak.completions = weak.completions.map((c) =>
    c.set === "slopes" ? { ...c, completion: "the same chain", correct: false } : c
  );
  const setups = [{ ...weak, setup: "7B" }, { ...scores(2, 4), setup: "35B" }];
  const input = { setups, documents, settings, seed: 9 };
  const rows = findingRowsWithControls({
    ...computeFindings(input),
    controls: computeControlFindings(input, { lexical: setups }),
  });
  const section = findingsSection(rows, ["7B", "35B"]);
  const table = section.blocks.find((b) =>
    b.kind === "table" && !!b.caption?.startsWith("Controls, measured")
  );
  assert.ok(table && table.kind === "table");
  assert.deepEqual(table.columns.map((c) => c.label), [
    "finding",
    "setup",
    "influence",
    "lexical",
    "explained by",
  ]);
  const f4 = table.rows.filter((r, i) => r[0] === "F4" || (r[0] === "" && table.rows[i - 1]?.[0] === "F4"));
  assert.match(String(f4[0][2]), /^not applicable \(the test alone: reproduced\), d (-?\d|n\/a)/);
  assert.match(String(f4[1][2]), /^reproduced, d (-?\d|n\/a)/);
  assert.equal(
    f4[1][4],
    "lexical",
    "35B's F4 is reproduced as strongly by the lexical control (the same scores)",
  );
});
