/**
 * Applicability gates: the paper measures influence for models that solve its reasoning tasks (each kept
 * task answered right at least 80% of the time) and that write their own chain for each query; a setup
 * whose query set fails either is outside what the paper's findings speak of. The factual side is the
 * paper's draw of 20 queries answered right and 20 answered wrong.
 *
 * @module
 */
import { procedureOfSet } from "./procedure_of_set.ts";
import type { QuerySet } from "../../fixtures/world/types.ts";

/** The paper's factual draw: this many queries answered right and as many answered wrong. */
export const PAPER_FACTUAL_DRAW = 20;

/** One graded completion of the complete stage (`completions.jsonl`). */
export interface GradedCompletion {
  id: string;
  set: string;
  completion: string;
  correct: boolean;
}

/** Thresholds of the gates (the manifest's `analyses.minAccuracy` and `analyses.minDistinctShare`). */
export interface GateSettings {
  /** Least share of a reasoning set's queries answered right (the paper: 0.8). */
  minAccuracy: number;
  /** Least share of distinct completion texts among a set's scored queries. */
  minDistinctShare: number;
}

/** The gates of one query set of one setup. */
export interface SetGate {
  /** Graded completions of the set, and how many were right. */
  completions: number;
  correct: number;
  /** `correct / completions`. */
  accuracy: number;
  /** Whether accuracy gates the set: reasoning sets only (the factual side is a draw of right and wrong). */
  accuracyGated: boolean;
  /** Queries of the set the findings use (the scored rows), and their distinct completion texts. */
  scored: number;
  distinct: number;
  /** `distinct / scored` (NaN for none). */
  distinctShare: number;
  /** Whether the set passes both gates. */
  applicable: boolean;
  /** Why it does not (null when it does), e.g. `slopes: 14/20 answered right (70%), below 80%`. */
  reason: string | null;
}

const percent = (v: number) => `${Math.round(100 * v)}%`;

/**
 * The gates per query set: a reasoning set (one with a procedure) passes when at least `minAccuracy` of
 * its graded completions are right; every set passes the second gate when at least `minDistinctShare`
 * of the completions the findings use (its scored queries) are distinct texts — one chain written for
 * every query makes the queries' gradients, and so their influence rankings, alike by itself.
 *
 * @param graded The setup's graded completions (every query it was asked).
 * @param scoredIds Ids of the queries the findings use (the scores' own rows).
 * @param settings The thresholds.
 * @param groups The group of each set of one's own query file (its sets of kind reasoning are gated on
 *   accuracy); absent: the study's sets, gated when they have a procedure.
 * @returns The gates, per set in order of first appearance among `graded`.
 * @throws {Error} When a scored query has no graded completion.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applicabilityGates } from "./applicability.ts";
 * const graded = [
 *   { id: "s1", set: "slopes", completion: "2", correct: true },
 *   { id: "s2", set: "slopes", completion: "2", correct: false },
 * ];
 * const gates = applicabilityGates(graded, ["s1", "s2"], { minAccuracy: 0.8, minDistinctShare: 0.9 });
 * assert.equal(gates.slopes.applicable, false);
 * assert.equal(gates.slopes.reason, "slopes: 1/2 answered right (50%), below 80%; 1 distinct completion of 2 (50%), below 90%");
 * ```
 */
export function applicabilityGates(
  graded: readonly GradedCompletion[],
  scoredIds: Iterable<string>,
  settings: GateSettings,
  groups?: Readonly<Record<string, string>>,
): Record<string, SetGate> {
  const byId = new Map(graded.map((g) => [g.id, g]));
  const scored = [...scoredIds].map((id) => {
    const g = byId.get(id);
    if (!g) throw new Error(`applicabilityGates: scored query ${id} has no graded completion`);
    return g;
  });
  const out: Record<string, SetGate> = {};
  for (const set of new Set(graded.map((g) => g.set))) {
    const of = graded.filter((g) => g.set === set);
    const used = scored.filter((g) => g.set === set);
    const correct = of.filter((g) => g.correct).length;
    const accuracy = correct / of.length;
    const distinct = new Set(used.map((g) => g.completion)).size;
    const distinctShare = used.length === 0 ? NaN : distinct / used.length;
    const accuracyGated = groups?.[set] !== undefined
      ? groups[set] === "reasoning"
      : procedureOfSet(set as QuerySet) !== null;
    const reasons: string[] = [];
    if (accuracyGated && !(accuracy >= settings.minAccuracy)) {
      reasons.push(
        `${correct}/${of.length} answered right (${percent(accuracy)}), below ${
          percent(settings.minAccuracy)
        }`,
      );
    }
    if (used.length > 0 && !(distinctShare >= settings.minDistinctShare)) {
      reasons.push(
        `${distinct} distinct completion${distinct === 1 ? "" : "s"} of ${used.length} (${
          percent(distinctShare)
        }), below ${percent(settings.minDistinctShare)}`,
      );
    }
    out[set] = {
      completions: of.length,
      correct,
      accuracy,
      accuracyGated,
      scored: used.length,
      distinct,
      distinctShare,
      applicable: reasons.length === 0,
      reason: reasons.length === 0 ? null : `${set}: ${reasons.join("; ")}`,
    };
  }
  return out;
}

/** How the factual queries the findings use were drawn from the setup's factual pool. */
export interface FactualDraw {
  /** Factual queries asked, and of those answered right and wrong. */
  pool: number;
  poolRight: number;
  poolWrong: number;
  /** Factual queries the findings use, answered right and wrong. */
  right: number;
  wrong: number;
  /** Whether they are the paper's draw: {@linkcode PAPER_FACTUAL_DRAW} right and as many wrong. */
  paperDraw: boolean;
  /** What was drawn, and when it is not the paper's draw, why. */
  note: string;
}

/**
 * Describes the factual side of a setup: how many queries answered right and wrong the findings use,
 * against the paper's draw of 20 + 20, and what the pool allowed.
 *
 * @param graded The setup's graded completions.
 * @param scoredIds Ids of the queries the findings use.
 * @returns The draw, or null when the setup has no factual query.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { factualDraw } from "./applicability.ts";
 * const graded = Array.from({ length: 30 }, (_, i) => ({ id: `f${i}`, set: "factual", completion: `${i}`, correct: i < 3 }));
 * const d = factualDraw(graded, graded.slice(0, 23).map((g) => g.id))!;
 * assert.equal(d.paperDraw, false);
 * assert.equal(d.note, "factual: 3 answered right and 20 wrong (the paper: 20 and 20; the pool of 30 has 3 right and 27 wrong)");
 * ```
 */
export function factualDraw(
  graded: readonly GradedCompletion[],
  scoredIds: Iterable<string>,
): FactualDraw | null {
  const pool = graded.filter((g) => g.set === "factual");
  if (pool.length === 0) return null;
  const ids = new Set(scoredIds);
  const used = pool.filter((g) => ids.has(g.id));
  const right = used.filter((g) => g.correct).length, wrong = used.length - right;
  const poolRight = pool.filter((g) => g.correct).length, poolWrong = pool.length - poolRight;
  const paperDraw = right === PAPER_FACTUAL_DRAW && wrong === PAPER_FACTUAL_DRAW;
  const what = `factual: ${right} answered right and ${wrong} wrong`;
  return {
    pool: pool.length,
    poolRight,
    poolWrong,
    right,
    wrong,
    paperDraw,
    note: paperDraw
      ? `${what} (the paper's draw)`
      : `${what} (the paper: ${PAPER_FACTUAL_DRAW} and ${PAPER_FACTUAL_DRAW}; ` +
        `the pool of ${pool.length} has ${poolRight} right and ${poolWrong} wrong)`,
  };
}
