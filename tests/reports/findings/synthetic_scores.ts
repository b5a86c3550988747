/**
 * Synthetic worlds and score matrices for the size and power checks of the findings' tests: 200
 * documents of five sources, two procedures at a 10% base rate each, one document per fact, and 20
 * factual, 20 slopes and 20 linear queries. Without an effect every score is independent N(0, 1), so
 * no finding holds; each effect builds one finding in at a stated size.
 *
 * @module
 */
import type { Document, Query, Source } from "../../../fixtures/world/types.ts";
import { Rng } from "../../../fixtures/world/rng.ts";
import type { FindingsSettings, SetupScores } from "../../../reports/findings/findings_input.ts";

/** Documents. */
export const D = 200;
/** Queries per set. */
export const PER_SET = 20;
const SOURCES_USED: Source[] = ["code", "math", "wiki", "trivia", "web"];
const slopeDoc = (i: number) => 10 * i + 1; // sources cycle by d % 5: 1 → math
const linearDoc = (i: number) => 10 * i + 2; // 2 → wiki

/** The synthetic world's documents: every 10th document (offset 1) slopes, offset 2 linear, offset 3 a fact. */
export const documents: Document[] = Array.from({ length: D }, (_, d) => {
  const procedure = d % 10 === 1 ? "slope" : d % 10 === 2 ? "linear" : null;
  return {
    id: `doc-${d}`,
    source: SOURCES_USED[d % 5],
    text: `text ${d}`,
    procedures: procedure === null ? [] : [{
      procedure,
      format: "worked",
      operands: {},
      steps: [{ name: "answer", value: 10_000 + d }],
      answer: null,
    }],
    facts: d % 10 === 3 ? [`fact-${(d - 3) / 10}`] : [],
    numbers: [d],
  } as Document;
});

const reasoning = (set: "slopes" | "linear", i: number): Query => {
  const doc = set === "slopes" ? slopeDoc(i) : linearDoc(i);
  return {
    id: `q-${set}-${i}`,
    set,
    prompt: `${set} ${i}`,
    completion: `${set} ${i}`,
    gold: String(10_000 + doc),
    goldNumber: 10_000 + doc,
    steps: [{ name: "answer", value: 10_000 + doc }],
  } as Query;
};

/** The queries: 20 factual (fact i in document 10i + 3), 20 slopes and 20 linear (their one step in one document). */
export const queries: Query[] = [
  ...Array.from({ length: PER_SET }, (_, i): Query => ({
    id: `q-factual-${i}`,
    set: "factual",
    prompt: `fact ${i}`,
    completion: `answer ${i}`,
    gold: `zz${i}zz`,
    goldNumber: null,
    steps: [],
    factId: `fact-${i}`,
    entity: `E${i}`,
  } as unknown as Query)),
  ...Array.from({ length: PER_SET }, (_, i) => reasoning("slopes", i)),
  ...Array.from({ length: PER_SET }, (_, i) => reasoning("linear", i)),
];

/** Effects that can be built in; each is off (0) unless set. */
export interface Effects {
  /** F1: reasoning rows share a per-set component; within-set r = f1 (0 ≤ f1 < 1). */
  f1?: number;
  /** F1 null: every row shares one component with this r (no difference between sets). */
  common?: number;
  /** F2: factual rows scaled by 1 + f2. */
  f2?: number;
  /** F2a: reasoning rows' magnitudes raised to the power 1 + f2a (a steeper rank-size curve). */
  f2a?: number;
  /** F3: added to the score of each factual query's fact document. */
  f3?: number;
  /** F4: added to the scores of the documents of each reasoning query's procedure. */
  f4?: number;
  /** F5: added to math and code documents for reasoning rows, to wiki and trivia for factual rows. */
  f5?: number;
}

/** Standard normal draws (Box-Muller). */
function normals(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng.float(), v = rng.float();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * One setup's scores for a seed, with the given effects built in.
 *
 * @param seed Seed of every draw.
 * @param effects Effects (none: every score independent N(0, 1)).
 * @returns The scores, every query graded right with its own completion.
 */
export function syntheticScores(seed: number, effects: Effects = {}): SetupScores {
  const rng = new Rng(seed);
  const Q = queries.length;
  const raw = normals(rng, Q * D);
  const component = (r: number) => Math.sqrt(r / (1 - r)); // loading a with a²/(1 + a²) = r
  const shared: Record<string, Float64Array> = {
    slopes: normals(rng, D),
    linear: normals(rng, D),
    all: normals(rng, D),
  };
  queries.forEach((q, row) => {
    const at = row * D;
    const isFactual = q.set === "factual";
    for (let d = 0; d < D; d++) {
      let v = raw[at + d];
      if (effects.common) v += component(effects.common) * shared.all[d];
      if (!isFactual && effects.f1) v += component(effects.f1) * shared[q.set][d];
      if (isFactual && effects.f2) v *= 1 + effects.f2;
      if (!isFactual && effects.f2a) v = Math.sign(v) * Math.abs(v) ** (1 + effects.f2a);
      if (isFactual && effects.f3 && documents[d].facts.includes(q.factId!)) v += effects.f3;
      if (!isFactual && effects.f4) {
        const procedure = q.set === "slopes" ? "slope" : "linear";
        if (documents[d].procedures.some((p) => p.procedure === procedure)) v += effects.f4;
      }
      if (effects.f5) {
        const src = documents[d].source;
        if (isFactual ? src === "wiki" || src === "trivia" : src === "math" || src === "code") {
          v += effects.f5;
        }
      }
      raw[at + d] = v;
    }
  });
  return {
    setup: "synthetic",
    documents: D,
    scores: raw,
    perNat: raw,
    queries: queries.map((query, row) => ({ row, query, correct: true })),
    completions: queries.map((q) => ({ id: q.id, set: q.set, completion: q.completion, correct: true })),
  };
}

/** Settings of the size and power checks: 200 permutation draws, no bootstrap (the verdicts do not use it). */
export const settings: FindingsSettings = {
  topK: [20],
  topPercents: [10, 50, 100],
  powerLawTopN: 50,
  answerSearchTopK: 20,
  answerSearchShare: 0.1,
  procedureTopK: 20,
  permutations: 200,
  bootstrap: { resamples: 0, confidence: 0.95 },
  minAccuracy: 0.8,
  minDistinctShare: 0.9,
};
