import assert from "node:assert/strict";
import type { Document, Query } from "../../../fixtures/world/types.ts";
import { Rng } from "../../../fixtures/world/rng.ts";
import { computeFindings } from "../../../reports/findings/compute_findings.ts";
import { computeFindingsParallel } from "../../../reports/findings/parallel_findings.ts";
import { findingRows, findingsJson } from "../../../reports/findings/findings_table.ts";
import type { SetupScores } from "../../../reports/findings/findings_input.ts";
import { findingSchema } from "../../../reports/render/report_json_schema.ts";

// A hand-made world of 40 documents: 0-9 demonstrate the slope procedure (math), 10-19 each state one fact
// (wiki), 20-39 are filler (web). The scores are built so that every paper effect holds by construction.
const D = 40;
const documents: Document[] = Array.from({ length: D }, (_, d) => ({
  id: `doc-${d}`,
  source: d < 10 ? "math" : d < 20 ? "wiki" : "web",
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
const queries = [slope(0), slope(1), slope(2), slope(3), factual(0), factual(1), factual(2), factual(3)];

function scores(seed: number, factualScale: number): SetupScores {
  const rng = new Rng(seed);
  const noise = () => (rng.nextUint32() / 2 ** 32 - 0.5) * 0.02;
  const raw = new Float64Array(queries.length * D);
  queries.forEach((q, r) => {
    for (let d = 0; d < D; d++) {
      // Reasoning: one shared profile (slope documents high). Factual: the query's own fact document.
      raw[r * D + d] = q.set === "slopes"
        ? (d < 10 ? 1 + d / 100 : 0.1 - d / 1000) + noise()
        : (d === 10 + (r - 4) ? factualScale : 0) + noise() * 10;
    }
  });
  return {
    setup: "",
    documents: D,
    scores: raw,
    perNat: raw,
    queries: queries.map((query, row) => ({ row, query, correct: true })),
  };
}

const settings = {
  topK: [5, 10],
  topPercents: [10, 50, 100],
  powerLawTopN: 10,
  answerSearchTopK: 3,
  procedureTopK: 5,
  permutations: 50,
  bootstrap: { resamples: 200, confidence: 0.95 },
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
  assert.ok(small.f1.permutation.slopes.pValue <= 1 / 51 + 1e-12);
  assert.deepEqual(small.f1.ids.slice(0, 4), ["q-factual-0", "q-factual-1", "q-factual-2", "q-factual-3"]);
  // F3: each factual query's top document states its fact; no document holds the slopes' step values.
  assert.deepEqual(small.f3.presence.perQuery.map((q) => q.truth), [
    false,
    false,
    false,
    false,
    true,
    true,
    true,
    true,
  ]);
  assert.equal(small.f3.truth.verdict, "reproduced");
  // F4: the top 5 of every slopes query are slope documents (base rate 10/40): ratio 4.
  assert.deepEqual(small.f4.perQuery.map((q) => q.ratio), [4, 4, 4, 4]);
  assert.equal(small.f4.comparison.verdict, "reproduced");
  assert.equal(small.f4.bySet.slopes.anyInTopK, 4);
  // F5: reasoning top 5 are all math: (code + math) share 1 over corpus share 0.25.
  assert.equal(small.f5.reasoning.a.mean, 4);
  assert.equal(small.f5.reasoning.verdict, "reproduced");
  // Cross-setup: the same prompts; factual spikes doubled in the larger setup.
  const cross = findings.cross!;
  assert.equal(cross.samePrompt.length, 8);
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
