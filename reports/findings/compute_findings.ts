import {
  applicabilityGates,
  type FactualDraw,
  factualDraw,
  type SetGate,
} from "../analyses/applicability.ts";
import { crossSetup, type CrossSetupResult } from "./cross_setup.ts";
import { f1Correlations, type F1Result, type PermutationTestFn } from "./f1_correlations.ts";
import { f2Reliance, type F2Result } from "./f2_reliance.ts";
import {
  f3Answers,
  type F3Result,
  f4Procedures,
  type F4Result,
  type F5Result,
  f5Sources,
} from "./f3_f4_f5.ts";
import { type FindingsInput, groupOf, type QueryGroup } from "./findings_input.ts";
import { type Availability, crossAvailability, setupAvailability } from "./availability.ts";

/** Every finding measured on one setup. */
export interface SetupFindings {
  setup: string;
  queries: { id: string; set: string; correct: boolean }[];
  /** Per query set: accuracy and distinct completions against the gates. */
  gates: Record<string, SetGate>;
  /** The factual queries used against the paper's draw of 20 right and 20 wrong (null: none asked). */
  factualDraw: FactualDraw | null;
  f1: F1Result;
  f2: F2Result;
  f3: F3Result;
  f4: F4Result;
  f5: F5Result;
  /** The group of each query set asked (a corpus of one's own only; the study's sets have fixed groups). */
  groups?: Record<string, QueryGroup>;
  /** What a corpus of one's own allows each finding (absent for the synthetic world). */
  availability?: Availability;
}

/** The controls the findings are measured with beside influence (see {@linkcode CONTROLS}). */
export type ControlName = "identity" | "lexical" | "untrained";

/**
 * The controls, in report order: `identity`, the trained model's plain gradient dot product (influence
 * without the curvature); `lexical`, BM25 between the query's text and each document (surface overlap);
 * `untrained`, the gradient dot product of the same architecture at its random initialisation (what the
 * architecture and the texts produce with nothing learnt).
 */
export const CONTROLS: readonly ControlName[] = ["identity", "lexical", "untrained"];

/** The findings of a run: per setup, and across the first and last setup. */
export interface Findings {
  setups: SetupFindings[];
  cross: CrossSetupResult | null;
  /** What a corpus of one's own allows the cross-setup findings (absent for the synthetic world). */
  crossAvailability?: Availability;
  /** The same findings measured on each control's score matrices (absent when the run has none). */
  controls?: Partial<Record<ControlName, Findings>>;
}

/** Seed of setup i's bootstrap and permutation streams. */
function setupSeed(input: FindingsInput, i: number): number {
  return (input.seed + 7919 * (i + 1)) >>> 0;
}

/**
 * F1 of setup i exactly as {@linkcode computeFindings} measures it (same seed).
 *
 * @param input Scores, documents, settings, seed.
 * @param i Setup index.
 * @param permutationTest F1's permutation test (default: computed here).
 * @returns The setup's F1 figures.
 */
export function setupF1(input: FindingsInput, i: number, permutationTest?: PermutationTestFn): F1Result {
  return f1Correlations(input.setups[i], input.settings, setupSeed(input, i) + 1, permutationTest);
}

/**
 * Measures the findings F1-F5 of docs/method.md on every setup's scores, plus the cross-setup comparisons, and
 * each setup's applicability gates per query set (the verdicts apply them, see `findingRows`).
 * Deterministic for a seed: each setup and finding draws its own bootstrap and permutation streams.
 *
 * @param input Scores, documents, settings, seed.
 * @param permutationTest F1's permutation test (default: computed here; see
 *   {@link ./parallel_findings.ts computeFindingsParallel}).
 * @returns The findings.
 */
export function computeFindings(input: FindingsInput, permutationTest?: PermutationTestFn): Findings {
  const setups = input.setups.map((s, i): SetupFindings => {
    const seed = setupSeed(input, i);
    return {
      setup: s.setup,
      queries: s.queries.map((q) => ({ id: q.query.id, set: q.query.set, correct: q.correct })),
      gates: applicabilityGates(s.completions, s.queries.map((q) => q.query.id), input.settings, s.groups),
      factualDraw: factualDraw(s.completions, s.queries.map((q) => q.query.id)),
      f1: setupF1(input, i, permutationTest),
      f2: f2Reliance(s, input.settings, seed + 2),
      f3: f3Answers(s, input, seed + 3),
      f4: f4Procedures(s, input, seed + 4),
      f5: f5Sources(s, input, seed + 5),
      ...(input.corpus === undefined
        ? {}
        : { groups: { ...s.groups }, availability: setupAvailability(s, input) }),
    };
  });
  const last = setups[setups.length - 1];
  const largeWithin = last
    ? last.f1.perQuery.filter((v, i) =>
      groupOf(last.f1.sets[i], input.setups[input.setups.length - 1].groups) === "reasoning" &&
      Number.isFinite(v)
    )
    : [];
  const cross = input.setups.length >= 2
    ? crossSetup(
      input.setups[0],
      input.setups[input.setups.length - 1],
      input.settings,
      input.seed + 11,
      largeWithin,
    )
    : null;
  const first = input.setups[0], end = input.setups[input.setups.length - 1];
  return {
    setups,
    cross,
    ...(input.corpus === undefined || cross === null
      ? {}
      : { crossAvailability: crossAvailability(first, end, input) }),
  };
}

/** F1's per-set document-shuffle baseline skipped (it decides no verdict): the controls' F1 runs without it. */
const noBaseline: PermutationTestFn = () => ({ observed: NaN, pValue: NaN, nullMean: NaN, nullSd: NaN });

/**
 * The findings measured on each control's score matrices, with the same seeds, settings and gates as
 * influence's (so a difference between them is the scores' doing), without F1's document-shuffle baseline.
 *
 * @param input The findings input of influence's scores.
 * @param controls Per control, one SetupScores per setup of `input.setups` (same order and rows).
 * @returns Per control, its findings.
 */
export function computeControlFindings(
  input: FindingsInput,
  controls: Partial<Record<ControlName, FindingsInput["setups"]>>,
): Partial<Record<ControlName, Findings>> {
  const out: Partial<Record<ControlName, Findings>> = {};
  for (const name of CONTROLS) {
    const setups = controls[name];
    if (setups) out[name] = computeFindings({ ...input, setups }, noBaseline);
  }
  return out;
}
